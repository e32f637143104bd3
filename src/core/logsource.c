/* logsource.c — names of the logsource ids of logsource.h (kept in step with the enums). */
#include "core/logsource.h"

#include <strings.h>
#include <stddef.h>

static const char *const product_names[] = {
	[VG_PRODUCT_NONE] = "",
	[VG_PRODUCT_LINUX] = "linux",
	[VG_PRODUCT_WINDOWS] = "windows",
	[VG_PRODUCT_ZEEK] = "zeek",
	[VG_PRODUCT_SURICATA] = "suricata",
	[VG_PRODUCT_APACHE] = "apache",
	[VG_PRODUCT_NGINX] = "nginx",
};

static const char *const service_names[] = {
	[VG_SERVICE_NONE] = "",
	[VG_SERVICE_SYSLOG] = "syslog",
	[VG_SERVICE_SSHD] = "sshd",
	[VG_SERVICE_SUDO] = "sudo",
	[VG_SERVICE_SU] = "su",
	[VG_SERVICE_AUTH] = "auth",
	[VG_SERVICE_CRON] = "cron",
	[VG_SERVICE_AUDITD] = "auditd",
	[VG_SERVICE_VSFTPD] = "vsftpd",
	[VG_SERVICE_USERADD] = "useradd",
	[VG_SERVICE_KERNEL] = "kernel",
	[VG_SERVICE_SECURITY] = "security",
	[VG_SERVICE_SYSTEM] = "system",
	[VG_SERVICE_APPLICATION] = "application",
	[VG_SERVICE_SYSMON] = "sysmon",
	[VG_SERVICE_POWERSHELL] = "powershell",
	[VG_SERVICE_POWERSHELL_CLASSIC] = "powershell-classic",
	[VG_SERVICE_TASKSCHEDULER] = "taskscheduler",
	[VG_SERVICE_WMI] = "wmi",
	[VG_SERVICE_WINDEFEND] = "windefend",
	[VG_SERVICE_DNS_SERVER] = "dns-server",
	[VG_SERVICE_BITS_CLIENT] = "bits-client",
	[VG_SERVICE_CODEINTEGRITY] = "codeintegrity-operational",
	[VG_SERVICE_FIREWALL_AS] = "firewall-as",
	[VG_SERVICE_APPLOCKER] = "applocker",
	[VG_SERVICE_NTLM] = "ntlm",
	[VG_SERVICE_PRINTSERVICE_ADMIN] = "printservice-admin",
	[VG_SERVICE_PRINTSERVICE_OPERATIONAL] = "printservice-operational",
	[VG_SERVICE_SMBCLIENT_SECURITY] = "smbclient-security",
	[VG_SERVICE_TERMINALSERVICES] = "terminalservices-localsessionmanager",
	[VG_SERVICE_DRIVER_FRAMEWORK] = "driver-framework",
	[VG_SERVICE_LDAP_DEBUG] = "ldap_debug",
	[VG_SERVICE_MSEXCHANGE] = "msexchange-management",
	[VG_SERVICE_OPENSSH] = "openssh",
	[VG_SERVICE_BITLOCKER] = "bitlocker",
	[VG_SERVICE_APPXDEPLOYMENT] = "appxdeployment-server",
	[VG_SERVICE_DHCP] = "dhcp",
	[VG_SERVICE_CAPI2] = "capi2",
	[VG_SERVICE_SHELL_CORE] = "shell-core",
	[VG_SERVICE_DIAGNOSIS_SCRIPTED] = "diagnosis-scripted",
	[VG_SERVICE_APPMODEL_RUNTIME] = "appmodel-runtime",
	[VG_SERVICE_APPXPACKAGING] = "appxpackaging-om",
	[VG_SERVICE_VHDMP] = "vhdmp",
	[VG_SERVICE_SMBSERVER_CONNECTIVITY] = "smbserver-connectivity",
	[VG_SERVICE_SMBCLIENT_CONNECTIVITY] = "smbclient-connectivity",
	[VG_SERVICE_SECURITY_MITIGATIONS] = "security-mitigations",
	[VG_SERVICE_IIS_CONFIGURATION] = "iis-configuration",
	[VG_SERVICE_DNS_SERVER_ANALYTIC] = "dns-server-analytic",
	[VG_SERVICE_SERVICEBUS_CLIENT] = "microsoft-servicebus-client",
	[VG_SERVICE_LDAP] = "ldap",
	[VG_SERVICE_LSA_SERVER] = "lsa-server",
	[VG_SERVICE_CERTIFICATESERVICESCLIENT] = "certificateservicesclient-lifecycle-system",
	[VG_SERVICE_DNS_CLIENT] = "dns-client",
	[VG_SERVICE_KERNEL_SHIMENGINE] = "kernel-shimengine",
	[VG_SERVICE_HYPERV_WORKER] = "hyper-v-worker",
	[VG_SERVICE_ZEEK_DNS] = "dns",
	[VG_SERVICE_ZEEK_HTTP] = "http",
	[VG_SERVICE_ZEEK_CONN] = "conn",
	[VG_SERVICE_ZEEK_SMB_FILES] = "smb_files",
	[VG_SERVICE_ZEEK_DCE_RPC] = "dce_rpc",
	[VG_SERVICE_ZEEK_KERBEROS] = "kerberos",
	[VG_SERVICE_ZEEK_RDP] = "rdp",
	[VG_SERVICE_ZEEK_X509] = "x509",
	[VG_SERVICE_ZEEK_SSL] = "ssl",
	[VG_SERVICE_ZEEK_FILES] = "files",
	[VG_SERVICE_APACHE] = "apache",
	[VG_SERVICE_NGINX] = "nginx",
};

static const char *const category_names[] = {
	[VG_CATEGORY_NONE] = "",
	[VG_CATEGORY_PROCESS_CREATION] = "process_creation",
	[VG_CATEGORY_NETWORK_CONNECTION] = "network_connection",
	[VG_CATEGORY_FILE_EVENT] = "file_event",
	[VG_CATEGORY_FILE_CHANGE] = "file_change",
	[VG_CATEGORY_FILE_DELETE] = "file_delete",
	[VG_CATEGORY_FILE_RENAME] = "file_rename",
	[VG_CATEGORY_FILE_ACCESS] = "file_access",
	[VG_CATEGORY_FILE_EXECUTABLE_DETECTED] = "file_executable_detected",
	[VG_CATEGORY_FILE_BLOCK] = "file_block",
	[VG_CATEGORY_IMAGE_LOAD] = "image_load",
	[VG_CATEGORY_DRIVER_LOAD] = "driver_load",
	[VG_CATEGORY_PROCESS_ACCESS] = "process_access",
	[VG_CATEGORY_PROCESS_TERMINATION] = "process_termination",
	[VG_CATEGORY_PROCESS_TAMPERING] = "process_tampering",
	[VG_CATEGORY_CREATE_REMOTE_THREAD] = "create_remote_thread",
	[VG_CATEGORY_RAW_ACCESS_THREAD] = "raw_access_thread",
	[VG_CATEGORY_REGISTRY_EVENT] = "registry_event",
	[VG_CATEGORY_REGISTRY_ADD] = "registry_add",
	[VG_CATEGORY_REGISTRY_DELETE] = "registry_delete",
	[VG_CATEGORY_REGISTRY_SET] = "registry_set",
	[VG_CATEGORY_REGISTRY_RENAME] = "registry_rename",
	[VG_CATEGORY_CREATE_STREAM_HASH] = "create_stream_hash",
	[VG_CATEGORY_PIPE_CREATED] = "pipe_created",
	[VG_CATEGORY_WMI_EVENT] = "wmi_event",
	[VG_CATEGORY_DNS_QUERY] = "dns_query",
	[VG_CATEGORY_CLIPBOARD_CAPTURE] = "clipboard_capture",
	[VG_CATEGORY_SYSMON_STATUS] = "sysmon_status",
	[VG_CATEGORY_SYSMON_ERROR] = "sysmon_error",
	[VG_CATEGORY_PS_MODULE] = "ps_module",
	[VG_CATEGORY_PS_SCRIPT] = "ps_script",
	[VG_CATEGORY_PS_CLASSIC_START] = "ps_classic_start",
	[VG_CATEGORY_PS_CLASSIC_PROVIDER_START] = "ps_classic_provider_start",
	[VG_CATEGORY_WEBSERVER] = "webserver",
	[VG_CATEGORY_PROXY] = "proxy",
	[VG_CATEGORY_FIREWALL] = "firewall",
	[VG_CATEGORY_DNS] = "dns",
	[VG_CATEGORY_ANTIVIRUS] = "antivirus",
	[VG_CATEGORY_DATABASE] = "database",
	[VG_CATEGORY_APPLICATION] = "application",
	[VG_CATEGORY_AUTHENTICATION] = "authentication",
};

static const char *name_of(const char *const *t, size_t n, uint8_t id)
{
	return id < n && t[id] != NULL ? t[id] : "";
}

static uint8_t id_of(const char *const *t, size_t n, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return VG_LS_ANY;
	for (size_t i = 1; i < n; i++)
		if (t[i] != NULL && strcasecmp(t[i], name) == 0)
			return (uint8_t)i;
	return VG_LS_UNKNOWN;
}

#define N(t) (sizeof(t) / sizeof((t)[0]))
const char *vg_product_name(uint8_t id) { return name_of(product_names, N(product_names), id); }
const char *vg_service_name(uint8_t id) { return name_of(service_names, N(service_names), id); }
const char *vg_category_name(uint8_t id) { return name_of(category_names, N(category_names), id); }
uint8_t vg_product_id(const char *s) { return id_of(product_names, N(product_names), s); }
uint8_t vg_service_id(const char *s) { return id_of(service_names, N(service_names), s); }
uint8_t vg_category_id(const char *s) { return id_of(category_names, N(category_names), s); }
