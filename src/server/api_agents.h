/* api_agents.h — agent enrolment over the REST API, for admins who are not
 * on the server's host: POST /api/v1/agents/tokens {"ttl": seconds} answers
 * 201 {"token": "...", "expires_in": s} (the token is shown once, never
 * logged or audited), POST /api/v1/agents/{id}/revoke answers
 * {"agent": id, "revoked": n} (404 if no certificate was issued to id).
 * Admin only; both audited. The same as `vigil agents token|revoke --data DIR`.
 * Ownership: ca and dir are borrowed and must outlive the API.
 * Thread-safety: handlers run under the API lock; the CA is thread-safe. */
#ifndef VG_API_AGENTS_H
#define VG_API_AGENTS_H
#include "net/pki.h"
#include "server/api.h"

VG_WUR int vg_api_agents_register(vg_api *api, vg_pki_ca *ca, const char *dir);

#endif
