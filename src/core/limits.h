/* limits.h — every bound vigil applies to untrusted input, in one place.
 * Input beyond a limit is truncated or rejected with VG_ELIMIT and counted,
 * never allowed to grow memory without bound. */
#ifndef VG_LIMITS_H
#define VG_LIMITS_H

#define VG_MAX_LINE          (64 * 1024)   /* bytes in one text line; longer lines are cut and flagged */
#define VG_MAX_RECORD        (1024 * 1024) /* bytes in one record (multi-line JSON document, audit group) */
#define VG_MAX_FIELDS        512           /* fields in one event; extra fields are dropped and counted */
#define VG_MAX_FIELD_NAME    256           /* bytes in one (flattened) field name */
#define VG_MAX_JSON_DEPTH    32            /* nesting depth of JSON input */
#define VG_MAX_AUDIT_LINES   64            /* auditd records grouped into one event */
#define VG_MAX_RULE_FILE     (1024 * 1024) /* bytes in one Sigma rule file */
#define VG_MAX_RULE_DEPTH    16            /* nesting depth of a rule's YAML and condition */
#define VG_MAX_RULE_VALUES   100000        /* values in one rule after expansion (base64offset, windash...) */
#define VG_MAX_CORR_GROUPS   100000        /* live group-by keys per correlation rule */
#define VG_MAX_CORR_EVENTS   10000         /* events remembered per correlation group */
#define VG_EVENT_ARENA       (256 * 1024)  /* per-event scratch for decoded values */

#endif
