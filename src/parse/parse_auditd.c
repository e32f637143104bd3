/* parse_auditd.c — the "auditd" parser: one record is the lines of one audit
 * event (same msg=audit(...:SERIAL)); every key=value becomes auditd.<key>
 * (hex-encoded strings decoded), plus ECS process/user/outcome fields and,
 * for EXECVE groups, the reassembled command line. */
#include <string.h>

#include "core/limits.h"
#include "core/logsource.h"
#include "core/timeparse.h"
#include "parse/parse.h"
#include "parse/parse_util.h"

#define MAX_KEY 64 /* bytes of an audit key name */

/* x86_64 syscall numbers of the calls audit rules (and Sigma's auditd rules,
 * which read the enriched "SYSCALL" field) care about, so RAW-format logs
 * still get auditd.SYSCALL. From the kernel's stable x86_64 syscall ABI. */
static const struct {
	unsigned short nr;
	const char *name;
} x86_64_syscalls[] = {
	{2, "open"}, {9, "mmap"}, {10, "mprotect"}, {16, "ioctl"}, {29, "shmget"}, {30, "shmat"},
	{41, "socket"}, {42, "connect"}, {43, "accept"}, {44, "sendto"}, {45, "recvfrom"}, {49, "bind"},
	{50, "listen"}, {56, "clone"}, {57, "fork"}, {58, "vfork"}, {59, "execve"}, {62, "kill"},
	{63, "uname"}, {76, "truncate"}, {77, "ftruncate"}, {78, "getdents"}, {82, "rename"}, {83, "mkdir"},
	{84, "rmdir"}, {85, "creat"}, {86, "link"}, {87, "unlink"}, {88, "symlink"}, {90, "chmod"},
	{91, "fchmod"}, {92, "chown"}, {93, "fchown"}, {94, "lchown"}, {99, "sysinfo"}, {101, "ptrace"},
	{103, "syslog"}, {105, "setuid"}, {106, "setgid"}, {113, "setreuid"}, {114, "setregid"},
	{117, "setresuid"}, {119, "setresgid"}, {126, "capset"}, {133, "mknod"}, {134, "uselib"},
	{135, "personality"}, {155, "pivot_root"}, {157, "prctl"}, {159, "adjtimex"}, {161, "chroot"},
	{163, "acct"}, {164, "settimeofday"}, {165, "mount"}, {166, "umount2"}, {167, "swapon"},
	{168, "swapoff"}, {169, "reboot"}, {170, "sethostname"}, {171, "setdomainname"},
	{175, "init_module"}, {176, "delete_module"}, {188, "setxattr"}, {189, "lsetxattr"},
	{190, "fsetxattr"}, {197, "removexattr"}, {200, "tkill"}, {217, "getdents64"},
	{227, "clock_settime"}, {231, "exit_group"}, {234, "tgkill"}, {235, "utimes"}, {240, "mq_open"},
	{246, "kexec_load"}, {248, "add_key"}, {249, "request_key"}, {250, "keyctl"}, {257, "openat"},
	{258, "mkdirat"}, {259, "mknodat"}, {260, "fchownat"}, {263, "unlinkat"}, {264, "renameat"},
	{265, "linkat"}, {266, "symlinkat"}, {268, "fchmodat"}, {272, "unshare"}, {280, "utimensat"},
	{288, "accept4"}, {298, "perf_event_open"}, {304, "open_by_handle_at"}, {308, "setns"},
	{310, "process_vm_readv"}, {311, "process_vm_writev"}, {313, "finit_module"}, {316, "renameat2"},
	{319, "memfd_create"}, {320, "kexec_file_load"}, {321, "bpf"}, {322, "execveat"},
	{323, "userfaultfd"}, {425, "io_uring_setup"}, {434, "pidfd_open"}, {435, "clone3"}, {437, "openat2"},
};

/* Keys whose value audit hex-encodes (unquoted) when it holds blanks,
 * quotes or control bytes; EXECVE aN args are handled apart. */
static const char *const hex_keys[] = {"proctitle", "cwd", "name", "exe", "comm", "acct", "path", "cmd", "data", NULL};

/* ECS fields set once per record (first value wins). */
enum {
	HAVE_EXE = 1 << 0, HAVE_COMM = 1 << 1, HAVE_PID = 1 << 2, HAVE_PPID = 1 << 3, HAVE_UID = 1 << 4,
	HAVE_AUID = 1 << 5, HAVE_OUTCOME = 1 << 6, HAVE_HOST = 1 << 7, HAVE_ADDR = 1 << 8, HAVE_ACCT = 1 << 9,
	HAVE_CWD = 1 << 10,
};

typedef struct audit_state {
	unsigned have;
	int execve;        /* the record has an EXECVE line */
	uint64_t argc;     /* EXECVE argc (UINT64_MAX: not seen) */
	int64_t ts;        /* first line's stamp */
	uint8_t argfield[VG_MAX_FIELDS / 8]; /* bitmap: fields that are EXECVE args */
} audit_state;

/* Per-line view while scanning. */
typedef struct audit_line {
	int first;      /* first line of the record */
	int is_execve;
	int is_syscall;
	vg_pu_str syscall, arch;
	int has_enriched_syscall;
} audit_line;

static int is_hex(vg_pu_str v)
{
	if (v.n < 2 || v.n % 2 != 0)
		return 0;
	for (size_t i = 0; i < v.n; i++) {
		char ch = v.p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F') || (ch >= 'a' && ch <= 'f')))
			return 0;
	}
	return 1;
}

static int hexval(char ch)
{
	return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

/* Decode into the arena; NUL (argument separator of proctitle) → space. */
static vg_pu_str hex_decode(vg_event *ev, vg_pu_str v)
{
	char *d = vg_arena_alloc(ev->arena, v.n / 2 + 1);
	if (d == NULL)
		return (vg_pu_str){NULL, 0};
	for (size_t i = 0; i < v.n / 2; i++) {
		char ch = (char)(hexval(v.p[2 * i]) << 4 | hexval(v.p[2 * i + 1]));
		d[i] = ch == '\0' ? ' ' : ch;
	}
	d[v.n / 2] = '\0';
	return (vg_pu_str){d, v.n / 2};
}

/* "a0", "a12", "a1[3]": an EXECVE argument (piece); its index, or -1. */
static long arg_index(vg_pu_str k)
{
	if (k.n < 2 || k.p[0] != 'a')
		return -1;
	size_t d = vg_pu_ndigits(k.p + 1, k.n - 1);
	uint64_t v;
	if (d == 0 || d > 9 || !vg_pu_uint(k.p + 1, d, 1000000000, &v))
		return -1;
	if (1 + d == k.n)
		return (long)v;
	/* a1[0]: a piece of a long argument */
	vg_pu_str rest = {k.p + 1 + d, k.n - 1 - d};
	if (rest.n >= 3 && rest.p[0] == '[' && rest.p[rest.n - 1] == ']' && vg_pu_ndigits(rest.p + 1, rest.n - 2) == rest.n - 2)
		return (long)v;
	return -1;
}

static int key_ok(vg_pu_str k)
{
	if (k.n == 0 || k.n > MAX_KEY)
		return 0;
	for (size_t i = 0; i < k.n; i++) {
		char ch = k.p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		      ch == '[' || ch == ']' || ch == '.'))
			return 0;
	}
	return 1;
}

static int blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\x1d'; /* GS separates ENRICHED fields */
}

/* Add auditd.<key> = v; returns the field index or -1. */
static long add_audit(vg_event *ev, vg_pu_str k, vg_pu_str v)
{
	char *name = vg_arena_alloc(ev->arena, 7 + k.n);
	if (name == NULL || v.p == NULL) {
		ev->dropped++;
		return -1;
	}
	memcpy(name, "auditd.", 7);
	memcpy(name + 7, k.p, k.n);
	if (vg_event_add(ev, name, 7 + k.n, v.p, v.n, VG_V_STR) != 0)
		return -1;
	return (long)ev->nfields - 1;
}

static void once(vg_event *ev, audit_state *st, unsigned bit, const char *name, vg_pu_str v, int num)
{
	if ((st->have & bit) != 0 || v.n == 0)
		return;
	st->have |= bit;
	if (num)
		(void)vg_pu_add_num(ev, name, v.p, v.n);
	else
		(void)vg_event_add_str(ev, name, v.p, v.n);
}

static void outcome(vg_event *ev, audit_state *st, vg_pu_str v)
{
	const char *o = NULL;
	if (vg_pu_eq(v.p, v.n, "yes") || vg_pu_eq(v.p, v.n, "success"))
		o = "success";
	else if (vg_pu_eq(v.p, v.n, "no") || vg_pu_eq(v.p, v.n, "failed") || vg_pu_eq(v.p, v.n, "fail"))
		o = "failure";
	if (o == NULL || (st->have & HAVE_OUTCOME) != 0)
		return;
	st->have |= HAVE_OUTCOME;
	(void)vg_pu_add_lit(ev, "event.outcome", o);
}

/* One key=value (value decoded, raw_v as logged) → auditd.<key> and ECS. */
static void audit_kv(vg_event *ev, audit_state *st, audit_line *ln, vg_pu_str k, vg_pu_str v)
{
	long idx = add_audit(ev, k, v);
	if (ln->is_execve && idx >= 0 && arg_index(k) >= 0)
		st->argfield[idx / 8] |= (uint8_t)(1u << (idx % 8));

	if (vg_pu_eq(k.p, k.n, "exe"))
		once(ev, st, HAVE_EXE, "process.executable", v, 0);
	else if (vg_pu_eq(k.p, k.n, "comm"))
		once(ev, st, HAVE_COMM, "process.name", v, 0);
	else if (vg_pu_eq(k.p, k.n, "pid"))
		once(ev, st, HAVE_PID, "process.pid", v, 1);
	else if (vg_pu_eq(k.p, k.n, "ppid"))
		once(ev, st, HAVE_PPID, "process.parent.pid", v, 1);
	else if (vg_pu_eq(k.p, k.n, "uid"))
		once(ev, st, HAVE_UID, "user.id", v, 0);
	else if (vg_pu_eq(k.p, k.n, "auid") && !vg_pu_eq(v.p, v.n, "4294967295")) /* (uint32)-1: unset */
		once(ev, st, HAVE_AUID, "user.audit.id", v, 0);
	else if (vg_pu_eq(k.p, k.n, "acct") || vg_pu_eq(k.p, k.n, "UID")) /* UID: ENRICHED name of uid */
		once(ev, st, HAVE_ACCT, "user.name", v, 0);
	else if (vg_pu_eq(k.p, k.n, "cwd"))
		once(ev, st, HAVE_CWD, "process.working_directory", v, 0);
	else if (vg_pu_eq(k.p, k.n, "success") || vg_pu_eq(k.p, k.n, "res"))
		outcome(ev, st, v);
	else if (vg_pu_eq(k.p, k.n, "addr") && vg_pu_is_ip(v.p, v.n))
		once(ev, st, HAVE_ADDR, "source.ip", v, 0);
	else if (vg_pu_eq(k.p, k.n, "node"))
		once(ev, st, HAVE_HOST, "host.hostname", v, 0);
	else if (vg_pu_eq(k.p, k.n, "argc") && ln->is_execve && st->argc == UINT64_MAX)
		(void)vg_pu_uint(v.p, v.n, UINT32_MAX, &st->argc);
	else if (vg_pu_eq(k.p, k.n, "syscall"))
		ln->syscall = v;
	else if (vg_pu_eq(k.p, k.n, "arch"))
		ln->arch = v;
	else if (vg_pu_eq(k.p, k.n, "SYSCALL"))
		ln->has_enriched_syscall = 1;
}

static int wants_hex(const audit_line *ln, vg_pu_str k)
{
	if (ln->is_execve && arg_index(k) >= 0)
		return 1;
	for (size_t i = 0; hex_keys[i] != NULL; i++)
		if (vg_pu_eq(k.p, k.n, hex_keys[i]))
			return 1;
	return 0;
}

/* The key=value pairs of p[0..n) (a line, or the inside of msg='...'). */
static int audit_pairs(vg_event *ev, audit_state *st, audit_line *ln, const char *p, size_t n, int depth)
{
	const char *e = p + n;
	int saw_type = 0;
	while (p < e) {
		while (p < e && blank(*p))
			p++;
		const char *ks = p;
		while (p < e && !blank(*p) && *p != '=')
			p++;
		if (p >= e || *p != '=') {
			while (p < e && !blank(*p))
				p++;
			continue; /* a word without '=' ("avc:", "denied", "{") */
		}
		vg_pu_str k = {ks, (size_t)(p - ks)}, v;
		int quoted = 0;
		p++;
		if (p < e && (*p == '"' || *p == '\'')) {
			char q = *p++;
			const char *vs = p;
			while (p < e && *p != q)
				p++;
			v = (vg_pu_str){vs, (size_t)(p - vs)};
			if (p < e)
				p++;
			quoted = q;
		} else {
			const char *vs = p;
			while (p < e && !blank(*p))
				p++;
			v = (vg_pu_str){vs, (size_t)(p - vs)};
		}
		if (!key_ok(k))
			continue;
		if (vg_pu_eq(k.p, k.n, "msg")) {
			if (quoted == '\'' && depth == 0)
				(void)audit_pairs(ev, st, ln, v.p, v.n, depth + 1);
			continue; /* msg=audit(...): is the header, not a field */
		}
		if (vg_pu_eq(k.p, k.n, "type") && depth == 0) {
			saw_type = 1;
			ln->is_execve = vg_pu_eq(v.p, v.n, "EXECVE");
			ln->is_syscall = vg_pu_eq(v.p, v.n, "SYSCALL");
			st->execve |= ln->is_execve;
			if (ln->first)
				(void)vg_pu_add_lower(ev, "event.action", v.p, v.n);
		}
		if (!quoted && wants_hex(ln, k) && is_hex(v))
			v = hex_decode(ev, v);
		audit_kv(ev, st, ln, k, v);
	}
	return saw_type;
}

/* auditd.SYSCALL for RAW logs: the name of a numeric x86_64 syscall, or the
 * value itself when ausearch -i already interpreted it. */
static void add_syscall_name(vg_event *ev, const audit_line *ln)
{
	if (!ln->is_syscall || ln->has_enriched_syscall || ln->syscall.n == 0)
		return;
	vg_pu_str name = ln->syscall;
	uint64_t nr;
	if (vg_pu_uint(ln->syscall.p, ln->syscall.n, 65535, &nr)) {
		name.n = 0;
		if (vg_pu_eq(ln->arch.p, ln->arch.n, "c000003e") || vg_pu_eq(ln->arch.p, ln->arch.n, "x86_64"))
			for (size_t i = 0; i < sizeof(x86_64_syscalls) / sizeof(x86_64_syscalls[0]); i++)
				if (x86_64_syscalls[i].nr == nr)
					name = (vg_pu_str){x86_64_syscalls[i].name, strlen(x86_64_syscalls[i].name)};
	}
	if (name.n != 0)
		(void)vg_event_add(ev, VG_PU_LIT("auditd.SYSCALL"), name.p, name.n, VG_V_STR);
}

/* "msg=audit(1364481363.243:24287):" → stamp and serial. */
static int audit_stamp(const char *line, size_t n, int64_t *us, unsigned long long *serial)
{
	const char *q = vg_pu_find(line, n, VG_PU_LIT("msg=audit("));
	if (q == NULL)
		return VG_EPARSE;
	q += 10;
	size_t left = (size_t)(line + n - q);
	int64_t t;
	size_t k = vg_time_epoch(q, left, &t);
	if (k == 0 || k >= left || q[k] != ':')
		return VG_EPARSE;
	const char *s = q + k + 1;
	size_t d = vg_pu_ndigits(s, (size_t)(line + n - s));
	uint64_t v;
	if (d == 0 || s + d >= line + n || s[d] != ')' || !vg_pu_uint(s, d, UINT64_MAX, &v))
		return VG_EPARSE;
	*us = t;
	*serial = v;
	return 0;
}

int vg_audit_serial(const char *line, size_t n, unsigned long long *serial)
{
	int64_t us;
	return audit_stamp(line, n, &us, serial);
}

/* process.command_line: the EXECVE args (and long-arg pieces) in log order,
 * one space between arguments, limited to argc of them. */
static void add_command_line(vg_event *ev, const audit_state *st)
{
	size_t total = 0;
	long prev = -1;
	for (uint32_t i = 0; i < ev->nfields && i < VG_MAX_FIELDS; i++) {
		if ((st->argfield[i / 8] & (1u << (i % 8))) == 0)
			continue;
		const vg_field *f = &ev->fields[i];
		long a = arg_index((vg_pu_str){f->name + 7, f->name_len - 7u});
		if (a < 0 || (uint64_t)a >= st->argc)
			continue;
		total += f->val_len + (prev >= 0 && a != prev);
		prev = a;
	}
	if (prev < 0)
		return;
	char *d = vg_arena_alloc(ev->arena, total + 1);
	if (d == NULL) {
		ev->dropped++;
		return;
	}
	size_t k = 0;
	prev = -1;
	for (uint32_t i = 0; i < ev->nfields && i < VG_MAX_FIELDS; i++) {
		if ((st->argfield[i / 8] & (1u << (i % 8))) == 0)
			continue;
		const vg_field *f = &ev->fields[i];
		long a = arg_index((vg_pu_str){f->name + 7, f->name_len - 7u});
		if (a < 0 || (uint64_t)a >= st->argc)
			continue;
		if (prev >= 0 && a != prev)
			d[k++] = ' ';
		memcpy(d + k, f->val, f->val_len);
		k += f->val_len;
		prev = a;
	}
	d[k] = '\0';
	(void)vg_event_add_str(ev, "process.command_line", d, k);
}

static int auditd_parse(vg_event *ev)
{
	audit_state st;
	memset(&st, 0, sizeof(st));
	st.argc = UINT64_MAX;
	size_t n = ev->raw_len > VG_MAX_RECORD ? VG_MAX_RECORD : ev->raw_len;
	const char *p = ev->raw, *e = ev->raw + n;

	/* The first line decides: it must carry type= and a valid audit stamp. */
	const char *nl = memchr(p, '\n', n);
	size_t l0 = nl != NULL ? (size_t)(nl - p) : n;
	unsigned long long serial;
	if (audit_stamp(p, l0, &st.ts, &serial) != 0 || vg_pu_find(p, l0, VG_PU_LIT("type=")) == NULL)
		return VG_EPARSE;

	for (int lines = 0; p < e && lines < VG_MAX_AUDIT_LINES; lines++) {
		nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl != NULL ? nl : e;
		size_t ln_len = vg_pu_chomp(p, (size_t)(le - p));
		audit_line ln = {.first = lines == 0};
		if (!audit_pairs(ev, &st, &ln, p, ln_len, 0) && lines == 0)
			return VG_EPARSE;
		add_syscall_name(ev, &ln);
		p = nl != NULL ? nl + 1 : e;
	}

	if (st.execve) {
		ev->category = VG_CATEGORY_PROCESS_CREATION;
		add_command_line(ev, &st);
	}
	ev->ts_us = st.ts;
	ev->product = VG_PRODUCT_LINUX;
	ev->service = VG_SERVICE_AUDITD;
	ev->layer = VG_LAYER_HOST;
	return 0;
}

static int auditd_probe(const char *line, size_t n)
{
	unsigned long long serial;
	if (!vg_pu_prefix(line, n, "type=") && !vg_pu_prefix(line, n, "node="))
		return 0;
	return vg_audit_serial(line, n, &serial) == 0 ? 100 : 0;
}

const vg_parser vg_parser_auditd = {
	.name = "auditd",
	.description = "Linux audit logs (audit.log, RAW and ENRICHED), one event per serial",
	.framing = VG_FRAME_AUDIT,
	.probe = auditd_probe,
	.parse = auditd_parse,
};
