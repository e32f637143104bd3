/* cmd_users.c — `vigil users`: console users and API tokens, managed on the
 * server's host against its data directory (DIR/vigil.db, module "auth").
 * Every change is recorded in the audit log with the actor "cli:<login>". */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cli/cli.h"
#include "cli/cli_time.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "server/auth.h"
#include "store/db.h"

extern const vg_command vg_cmd_users;

static const char help[] = "usage: vigil users add NAME --role ROLE [--unit U] [--display-name N]\n"
			   "                       [--generate-password] [--data DIR]\n"
			   "       vigil users list [--json] [--data DIR]\n"
			   "       vigil users passwd NAME [--generate-password] [--data DIR]\n"
			   "       vigil users disable|enable NAME [--data DIR]\n"
			   "       vigil users token NAME [--name LABEL] [--scope all|ingest]\n"
			   "                       [--ttl DURATION] [--data DIR]\n"
			   "       vigil users tokens NAME [--json] [--data DIR]\n"
			   "       vigil users revoke-token ID [--data DIR]\n"
			   "\n"
			   "add: create a console user. ROLE is admin (everything, including users),\n"
			   "  analyst (read and change alerts, incidents, ...) or auditor (read only).\n"
			   "  --unit U scopes the user to unit U and the units below it (a path such\n"
			   "  as bo-tt/cuc-atttt/phong-1); without it the user sees every unit.\n"
			   "  The password is read from standard input, one line (at least 12\n"
			   "  bytes; asked twice, without echo, on a terminal), or with\n"
			   "  --generate-password made up and printed once on standard output.\n"
			   "list: the users (name, role, unit, status, last login); --json: a JSON array.\n"
			   "passwd: set a new password (as for add); ends the user's sessions.\n"
			   "disable: the user can no longer log in; sessions end, tokens stop working.\n"
			   "enable: undo disable.\n"
			   "token: create an API token for NAME and print it once on standard output\n"
			   "  (only its SHA-256 is stored). --scope ingest limits it to event intake;\n"
			   "  --ttl makes it expire: 3600s, 90m, 12h, 30d, 8w, or never (default).\n"
			   "tokens: the user's tokens (id, scope, label, dates, status).\n"
			   "revoke-token: revoke the token with this id (the 8 characters after vgt_).\n"
			   "\n"
			   "  --data DIR   the data directory of `vigil server` (default " VG_DEFAULT_DATA_DIR ")\n"
			   "\n"
			   "Changes are written to the audit log. The database may be changed while\n"
			   "`vigil server` runs. See docs/users.md.\n"
			   "Exit status: 0 success; 2 usage error, unknown user or token, weak\n"
			   "password, or a database that could not be opened or written.\n";

enum {
	O_ROLE = 1 << 0,
	O_UNIT = 1 << 1,
	O_DISPLAY = 1 << 2,
	O_GEN = 1 << 3,
	O_JSON = 1 << 4,
	O_LABEL = 1 << 5,
	O_SCOPE = 1 << 6,
	O_TTL = 1 << 7,
};

typedef struct opts {
	const char *dir, *role, *unit, *display, *label, *scope, *ttl;
	int gen, json;
	unsigned seen;
	const char *operand;
} opts;

/* Parses argv (argv[0] = the subcommand); options outside `allowed` and
 * operand counts other than `operands` (0 or 1) are usage errors. 0 ok, 1
 * help printed, 2 usage error. */
static int parse(int argc, char **argv, unsigned allowed, int operands, opts *o)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},
		{"role", required_argument, NULL, 'r'},
		{"unit", required_argument, NULL, 'u'},
		{"display-name", required_argument, NULL, 'D'},
		{"generate-password", no_argument, NULL, 'g'},
		{"json", no_argument, NULL, 'j'},
		{"name", required_argument, NULL, 'n'},
		{"scope", required_argument, NULL, 's'},
		{"ttl", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->dir = VG_DEFAULT_DATA_DIR;
	int c, idx = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		unsigned bit = 0;
		switch (c) {
		case 'd': o->dir = optarg; continue;
		case 'r': o->role = optarg, bit = O_ROLE; break;
		case 'u': o->unit = optarg, bit = O_UNIT; break;
		case 'D': o->display = optarg, bit = O_DISPLAY; break;
		case 'g': o->gen = 1, bit = O_GEN; break;
		case 'j': o->json = 1, bit = O_JSON; break;
		case 'n': o->label = optarg, bit = O_LABEL; break;
		case 's': o->scope = optarg, bit = O_SCOPE; break;
		case 't': o->ttl = optarg, bit = O_TTL; break;
		case 'h': fputs(help, stdout); return 1;
		default: return vg_cli_usage_error(&vg_cmd_users, "invalid option");
		}
		if (!(allowed & bit))
			return vg_cli_usage_error(&vg_cmd_users, "%s does not take --%s", argv[0], longopts[idx].name);
		o->seen |= bit;
	}
	if (argc - optind != operands)
		return vg_cli_usage_error(&vg_cmd_users, operands ? "%s takes one operand" : "%s takes no operand",
					  argv[0]);
	if (operands)
		o->operand = argv[optind];
	return 0;
}

/* The actor of audit entries: "cli:<login>" (the effective user). */
static void actor_name(char *out, size_t n)
{
	struct passwd *pw = getpwuid(geteuid());
	if (pw != NULL && pw->pw_name != NULL)
		snprintf(out, n, "cli:%s", pw->pw_name);
	else
		snprintf(out, n, "cli:uid%ld", (long)geteuid());
}

typedef struct conn {
	vg_db *db;
	vg_auth *a;
	char actor[96];
	vg_auth_actor who;
} conn;

/* Opens DIR/vigil.db and the auth module; `create` makes DIR (0700) and the
 * database when missing. 0 or 2 (message printed). */
static int conn_open(conn *c, const char *dir, int create)
{
	char why[512] = "", path[4096];
	int err = 0;
	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/%s", dir, VG_DB_FILE);
	if (!create && access(path, F_OK) != 0) {
		fprintf(stderr,
			"vigil: %s: %s (no state database: has `vigil server` or `vigil users add` run with this "
			"--data?)\n",
			path, strerror(errno));
		return 2;
	}
	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "vigil: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	if ((c->db = vg_db_open(dir, NULL, &err, why, sizeof(why))) == NULL) {
		fprintf(stderr, "vigil: %s\n", why[0] ? why : vg_err_str(err));
		return 2;
	}
	if ((c->a = vg_auth_open(c->db, NULL, &err)) == NULL) {
		fprintf(stderr, "vigil: %s: %s: %s\n", path, vg_err_str(err), vg_db_errmsg(c->db));
		vg_db_close(c->db);
		return 2;
	}
	actor_name(c->actor, sizeof(c->actor));
	c->who = (vg_auth_actor){.name = c->actor, .ip = NULL};
	return 0;
}

static void conn_close(conn *c)
{
	vg_auth_close(c->a);
	vg_db_close(c->db);
}

/* Prints the module's reason for r and returns 2. */
static int failed(conn *c, const char *what, int r)
{
	fprintf(stderr, "vigil: %s: %s\n", what, c->a != NULL ? vg_auth_errmsg(c->a) : vg_err_str(r));
	return 2;
}

/* One line from fd 0 without stdio buffering (nothing of the password stays
 * in a libc buffer). 0 and *len; -1 at EOF before any byte or on a read
 * error; -2 when longer than cap - 1. */
static int read_line(char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int any = 0;
	for (;;) {
		char ch;
		ssize_t k = read(STDIN_FILENO, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		any = 1;
		if (ch == '\n')
			break;
		if (n + 1 >= cap) {
			/* drain the rest of the line */
			while (read(STDIN_FILENO, &ch, 1) == 1 && ch != '\n')
				;
			return -2;
		}
		buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return any ? 0 : -1;
}

static int prompt_line(const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	int r = read_line(buf, cap, len);
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return r;
}

/* The new password: generated (printed once) or read. 0 or 2. */
static int get_password(int gen, char *pw, size_t cap, size_t *len)
{
	if (gen) {
		unsigned char rnd[18];
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			fprintf(stderr, "vigil: no random bytes for a password\n");
			return 2;
		}
		size_t n = 0;
		for (size_t i = 0; i < sizeof(rnd); i += 3) {
			uint32_t v = (uint32_t)rnd[i] << 16 | (uint32_t)rnd[i + 1] << 8 | rnd[i + 2];
			for (int k = 18; k >= 0; k -= 6)
				pw[n++] = b64[(v >> k) & 63];
		}
		pw[n] = '\0';
		*len = n;
		OPENSSL_cleanse(rnd, sizeof(rnd));
		return 0;
	}
	int r = prompt_line("Password: ", pw, cap, len);
	if (r == -1) {
		fprintf(stderr, "vigil: no password on standard input (or use --generate-password)\n");
		return 2;
	}
	if (r == -2 || vg_auth_password_ok(pw, *len) != 0) {
		fprintf(stderr, "vigil: password: %d to %d bytes required\n", VG_AUTH_PW_MIN, VG_AUTH_PW_MAX);
		return 2;
	}
	if (isatty(STDIN_FILENO)) {
		char again[VG_AUTH_PW_MAX + 2];
		size_t n2 = 0;
		r = prompt_line("Again: ", again, sizeof(again), &n2);
		int same = r == 0 && n2 == *len && CRYPTO_memcmp(again, pw, n2) == 0;
		OPENSSL_cleanse(again, sizeof(again));
		if (!same) {
			fprintf(stderr, "vigil: the passwords differ\n");
			return 2;
		}
	}
	return 0;
}

static int print_secret(const char *s)
{
	printf("%s\n", s);
	return fflush(stdout) == 0 ? 0 : 2;
}

static int cmd_add(int argc, char **argv)
{
	opts o;
	int r = parse(argc, argv, O_ROLE | O_UNIT | O_DISPLAY | O_GEN, 1, &o);
	if (r != 0)
		return r == 1 ? 0 : r;
	vg_role role;
	if (o.role == NULL)
		return vg_cli_usage_error(&vg_cmd_users, "add needs --role admin|analyst|auditor");
	if (vg_role_parse(o.role, &role) != 0)
		return vg_cli_usage_error(&vg_cmd_users, "--role: '%s' is not admin, analyst or auditor", o.role);
	if (!vg_auth_name_valid(o.operand))
		return vg_cli_usage_error(
			&vg_cmd_users,
			"'%s' is not a user name (1 to %d of a-z 0-9 . _ @ -, starting with a letter or digit)",
			o.operand, VG_AUTH_NAME_MAX);
	if (o.unit != NULL && !vg_auth_unit_valid(o.unit))
		return vg_cli_usage_error(&vg_cmd_users,
					  "--unit: '%s' is not a unit path (like bo-tt/cuc-atttt/phong-1)", o.unit);
	char pw[VG_AUTH_PW_MAX + 2];
	size_t n = 0;
	if ((r = get_password(o.gen, pw, sizeof(pw), &n)) != 0)
		return r;
	conn c;
	if ((r = conn_open(&c, o.dir, 1)) != 0) {
		OPENSSL_cleanse(pw, sizeof(pw));
		return r;
	}
	vg_auth_user_new u = {.name = o.operand,
			      .display_name = o.display,
			      .role = role,
			      .unit = o.unit,
			      .password = pw,
			      .pw_len = n};
	r = vg_auth_user_add(c.a, &c.who, &u, vg_cli_now_us(), NULL);
	int status = r != 0 ? failed(&c, o.operand, r) : 0;
	conn_close(&c);
	if (status == 0) {
		if (o.gen)
			status = print_secret(pw);
		fprintf(stderr, "added user %s (%s%s%s)\n", o.operand, o.role, o.unit ? ", unit " : "",
			o.unit ? o.unit : "");
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	return status;
}

static int cmd_passwd(int argc, char **argv)
{
	opts o;
	int r = parse(argc, argv, O_GEN, 1, &o);
	if (r != 0)
		return r == 1 ? 0 : r;
	conn c;
	if ((r = conn_open(&c, o.dir, 0)) != 0)
		return r;
	vg_auth_user u;
	if ((r = vg_auth_user_get(c.a, o.operand, &u)) != 0) { /* before asking for a password */
		r = failed(&c, "passwd", r);
		conn_close(&c);
		return r;
	}
	char pw[VG_AUTH_PW_MAX + 2];
	size_t n = 0;
	int status = get_password(o.gen, pw, sizeof(pw), &n);
	if (status == 0 && (r = vg_auth_user_set_password(c.a, &c.who, o.operand, pw, n, vg_cli_now_us())) != 0)
		status = failed(&c, o.operand, r);
	conn_close(&c);
	if (status == 0 && o.gen)
		status = print_secret(pw);
	OPENSSL_cleanse(pw, sizeof(pw));
	return status;
}

static int cmd_disable(int argc, char **argv, int disable)
{
	opts o;
	int r = parse(argc, argv, 0, 1, &o);
	if (r != 0)
		return r == 1 ? 0 : r;
	conn c;
	if ((r = conn_open(&c, o.dir, 0)) != 0)
		return r;
	int status = 0;
	if ((r = vg_auth_user_set_disabled(c.a, &c.who, o.operand, disable, vg_cli_now_us())) != 0)
		status = failed(&c, argv[0], r);
	else
		fprintf(stderr, "%s user %s\n", disable ? "disabled" : "enabled", o.operand);
	conn_close(&c);
	return status;
}

static void fmt_time(char *out, size_t n, int64_t us, const char *zero)
{
	if (us == 0) {
		snprintf(out, n, "%s", zero);
		return;
	}
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, n, "%lld", (long long)us);
}

static void json_time(vg_jsonw *w, const char *key, int64_t us)
{
	char t[40];
	vg_jsonw_key(w, key, strlen(key));
	if (us == 0) {
		vg_jsonw_null(w);
		return;
	}
	fmt_time(t, sizeof(t), us, "");
	vg_jsonw_str(w, t, strlen(t));
}

static void json_kstr(vg_jsonw *w, const char *key, const char *v)
{
	vg_jsonw_key(w, key, strlen(key));
	if (v == NULL || v[0] == '\0')
		vg_jsonw_null(w);
	else
		vg_jsonw_str(w, v, strlen(v));
}

typedef struct lister {
	int json;
	vg_jsonw w;
	int64_t now;
} lister;

static int list_user(void *ud, const vg_auth_user *u)
{
	lister *l = ud;
	if (l->json) {
		vg_jsonw *w = &l->w;
		vg_jsonw_obj_begin(w);
		json_kstr(w, "name", u->name);
		json_kstr(w, "display_name", u->display_name);
		json_kstr(w, "role", vg_role_name(u->role));
		json_kstr(w, "unit", u->unit);
		vg_jsonw_key(w, "disabled", 8);
		vg_jsonw_bool(w, u->disabled);
		json_time(w, "created", u->created_us);
		json_time(w, "updated", u->updated_us);
		json_time(w, "last_login", u->last_login_us);
		vg_jsonw_obj_end(w);
		return 0;
	}
	char last[40];
	fmt_time(last, sizeof(last), u->last_login_us, "never");
	printf("%-20s %-8s %-30s %-9s %-21s %s\n", u->name, vg_role_name(u->role), u->unit[0] ? u->unit : "*",
	       u->disabled ? "disabled" : "active", last, u->display_name);
	return 0;
}

/* Writes the JSON in b, with a newline, to stdout. 0 or 2. */
static int flush_json(vg_jsonw *w, vg_buf *b)
{
	int r = vg_jsonw_finish(w);
	if (r == 0 && (fwrite(b->data, 1, b->len, stdout) != b->len || putchar('\n') == EOF))
		r = VG_EIO;
	vg_buf_free(b);
	if (r != 0) {
		fprintf(stderr, "vigil: writing the JSON output: %s\n", vg_err_str(r));
		return 2;
	}
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	opts o;
	int r = parse(argc, argv, O_JSON, 0, &o);
	if (r != 0)
		return r == 1 ? 0 : r;
	conn c;
	if ((r = conn_open(&c, o.dir, 0)) != 0)
		return r;
	lister l = {.json = o.json};
	vg_buf b = {0};
	if (o.json) {
		vg_jsonw_init(&l.w, &b);
		vg_jsonw_arr_begin(&l.w);
	} else {
		printf("%-20s %-8s %-30s %-9s %-21s %s\n", "NAME", "ROLE", "UNIT", "STATUS", "LAST LOGIN",
		       "DISPLAY NAME");
	}
	int status = 0;
	if ((r = vg_auth_user_list(c.a, list_user, &l)) != 0)
		status = failed(&c, "users", r);
	if (o.json) {
		vg_jsonw_arr_end(&l.w);
		if (status == 0)
			status = flush_json(&l.w, &b);
		vg_buf_free(&b);
	}
	conn_close(&c);
	if (status == 0 && fflush(stdout) != 0)
		status = 2;
	return status;
}

/* DURATION: N with s, m, h, d or w (N alone = seconds), 60 s to 3650 d;
 * "never" = 0. 0 or -1. */
static int parse_ttl(const char *s, int64_t *us)
{
	if (strcmp(s, "never") == 0) {
		*us = 0;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v <= 0 || s[0] == '-' || s[0] == '+')
		return -1;
	long long mul = 1;
	switch (*end) {
	case '\0':
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 7 * 86400; break;
	default: return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > 3650LL * 86400 / mul || v * mul < 60)
		return -1;
	*us = v * mul * 1000000;
	return 0;
}

static int cmd_token(int argc, char **argv)
{
	opts o;
	int r = parse(argc, argv, O_LABEL | O_SCOPE | O_TTL, 1, &o);
	if (r != 0)
		return r == 1 ? 0 : r;
	vg_token_scope scope = VG_SCOPE_ALL;
	if (o.scope != NULL && vg_scope_parse(o.scope, &scope) != 0)
		return vg_cli_usage_error(&vg_cmd_users, "--scope: '%s' is not all or ingest", o.scope);
	int64_t ttl = 0;
	if (o.ttl != NULL && parse_ttl(o.ttl, &ttl) != 0)
		return vg_cli_usage_error(
			&vg_cmd_users,
			"--ttl: '%s' is not a duration from 60s to 3650d (3600s, 90m, 12h, 30d, 8w, never)", o.ttl);
	conn c;
	if ((r = conn_open(&c, o.dir, 0)) != 0)
		return r;
	int64_t now = vg_cli_now_us();
	vg_auth_token_new t = {.user = o.operand, .label = o.label, .scope = scope, .expires_us = ttl ? now + ttl : 0};
	char tok[VG_AUTH_TOKEN_BUF], id[VG_AUTH_TOKEN_ID_BUF];
	int status = 0;
	if ((r = vg_auth_token_create(c.a, &c.who, &t, now, tok, id)) != 0) {
		status = failed(&c, "token", r);
	} else {
		status = print_secret(tok);
		char exp[40];
		fmt_time(exp, sizeof(exp), t.expires_us, "never");
		fprintf(stderr, "token %s for %s (scope %s, expires %s); it is shown only this once\n", id, o.operand,
			vg_scope_name(scope), exp);
	}
	OPENSSL_cleanse(tok, sizeof(tok));
	conn_close(&c);
	return status;
}

static int list_token(void *ud, const vg_auth_token_info *t)
{
	lister *l = ud;
	const char *state = t->revoked_us ? "revoked" : t->expires_us && t->expires_us <= l->now ? "expired" : "active";
	if (l->json) {
		vg_jsonw *w = &l->w;
		vg_jsonw_obj_begin(w);
		json_kstr(w, "id", t->id);
		json_kstr(w, "user", t->user);
		json_kstr(w, "name", t->label);
		json_kstr(w, "scope", vg_scope_name(t->scope));
		json_kstr(w, "status", state);
		json_time(w, "created", t->created_us);
		json_time(w, "expires", t->expires_us);
		json_time(w, "last_used", t->last_used_us);
		json_time(w, "revoked", t->revoked_us);
		vg_jsonw_obj_end(w);
		return 0;
	}
	char cr[40], ex[40], lu[40];
	fmt_time(cr, sizeof(cr), t->created_us, "-");
	fmt_time(ex, sizeof(ex), t->expires_us, "never");
	fmt_time(lu, sizeof(lu), t->last_used_us, "never");
	printf("%-8s %-6s %-8s %-20s %-20s %-20s %s\n", t->id, vg_scope_name(t->scope), state, cr, ex, lu, t->label);
	return 0;
}

static int cmd_tokens(int argc, char **argv)
{
	opts o;
	int r = parse(argc, argv, O_JSON, 1, &o);
	if (r != 0)
		return r == 1 ? 0 : r;
	conn c;
	if ((r = conn_open(&c, o.dir, 0)) != 0)
		return r;
	lister l = {.json = o.json, .now = vg_cli_now_us()};
	vg_buf b = {0};
	if (o.json) {
		vg_jsonw_init(&l.w, &b);
		vg_jsonw_arr_begin(&l.w);
	} else {
		printf("%-8s %-6s %-8s %-20s %-20s %-20s %s\n", "ID", "SCOPE", "STATUS", "CREATED", "EXPIRES",
		       "LAST USED", "NAME");
	}
	int status = 0;
	if ((r = vg_auth_token_list(c.a, o.operand, list_token, &l)) != 0)
		status = failed(&c, "tokens", r);
	if (o.json) {
		vg_jsonw_arr_end(&l.w);
		if (status == 0)
			status = flush_json(&l.w, &b);
		vg_buf_free(&b);
	}
	conn_close(&c);
	if (status == 0 && fflush(stdout) != 0)
		status = 2;
	return status;
}

static int cmd_revoke(int argc, char **argv)
{
	opts o;
	int r = parse(argc, argv, 0, 1, &o);
	if (r != 0)
		return r == 1 ? 0 : r;
	const char *id = o.operand;
	if (strncmp(id, VG_AUTH_TOKEN_PREFIX, 4) == 0 && strlen(id) >= 4 + VG_AUTH_TOKEN_ID_LEN)
		return vg_cli_usage_error(&vg_cmd_users,
					  "give the token's id (the 8 characters after vgt_), not the token");
	conn c;
	if ((r = conn_open(&c, o.dir, 0)) != 0)
		return r;
	int status = 0;
	if ((r = vg_auth_token_revoke(c.a, &c.who, id, vg_cli_now_us())) != 0)
		status = failed(&c, "revoke-token", r);
	else
		fprintf(stderr, "revoked token %s\n", id);
	conn_close(&c);
	return status;
}

static int run(int argc, char **argv)
{
	if (argc < 2)
		return vg_cli_usage_error(
			&vg_cmd_users,
			"missing subcommand (add, list, passwd, disable, enable, token, tokens, revoke-token)");
	const char *s = argv[1];
	if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
		fputs(help, stdout);
		return 0;
	}
	argc--, argv++;
	if (strcmp(s, "add") == 0)
		return cmd_add(argc, argv);
	if (strcmp(s, "list") == 0)
		return cmd_list(argc, argv);
	if (strcmp(s, "passwd") == 0)
		return cmd_passwd(argc, argv);
	if (strcmp(s, "disable") == 0 || strcmp(s, "enable") == 0)
		return cmd_disable(argc, argv, s[0] == 'd');
	if (strcmp(s, "token") == 0)
		return cmd_token(argc, argv);
	if (strcmp(s, "tokens") == 0)
		return cmd_tokens(argc, argv);
	if (strcmp(s, "revoke-token") == 0)
		return cmd_revoke(argc, argv);
	return vg_cli_usage_error(&vg_cmd_users, "unknown subcommand '%s'", s);
}

const vg_command vg_cmd_users = {
	.name = "users",
	.usage = "vigil users add NAME --role admin|analyst|auditor [--unit U] [--generate-password] | list [--json] |"
		 " passwd NAME | disable NAME | enable NAME | token NAME [--scope all|ingest] [--ttl D] | tokens NAME |"
		 " revoke-token ID  [--data DIR]",
	.run = run,
};
