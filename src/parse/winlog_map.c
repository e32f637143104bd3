/* winlog_map.c — the Windows channel → service and (service, event id) →
 * category tables (see winlog_map.h). Channel spellings follow pySigma's
 * windows_logsource_mapping; categories follow SigmaHQ's Sysmon/PowerShell
 * logsource definitions. */
#include "parse/winlog_map.h"

#include <string.h>
#include <strings.h>

#include "core/logsource.h"

struct chan_row {
	const char *name;
	uint8_t service;
	uint8_t prefix; /* 1: name is a prefix ("Microsoft-Windows-AppLocker/" covers every AppLocker log) */
};

static const struct chan_row channels[] = {
	{"Security", VG_SERVICE_SECURITY, 0},
	{"System", VG_SERVICE_SYSTEM, 0},
	{"Application", VG_SERVICE_APPLICATION, 0},
	{"Microsoft-Windows-Sysmon/Operational", VG_SERVICE_SYSMON, 0},
	{"Microsoft-Windows-PowerShell/Operational", VG_SERVICE_POWERSHELL, 0},
	{"PowerShellCore/Operational", VG_SERVICE_POWERSHELL, 0},
	{"Windows PowerShell", VG_SERVICE_POWERSHELL_CLASSIC, 0},
	{"Microsoft-Windows-TaskScheduler/Operational", VG_SERVICE_TASKSCHEDULER, 0},
	{"Microsoft-Windows-WMI-Activity/Operational", VG_SERVICE_WMI, 0},
	{"Microsoft-Windows-Windows Defender/Operational", VG_SERVICE_WINDEFEND, 0},
	{"DNS Server", VG_SERVICE_DNS_SERVER, 0},
	{"Microsoft-Windows-DNS-Server/Analytical", VG_SERVICE_DNS_SERVER_ANALYTIC, 0},
	{"Microsoft-Windows-Bits-Client/Operational", VG_SERVICE_BITS_CLIENT, 0},
	{"Microsoft-Windows-CodeIntegrity/Operational", VG_SERVICE_CODEINTEGRITY, 0},
	{"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall", VG_SERVICE_FIREWALL_AS, 0},
	{"Microsoft-Windows-AppLocker/", VG_SERVICE_APPLOCKER, 1},
	{"Microsoft-Windows-NTLM/Operational", VG_SERVICE_NTLM, 0},
	{"Microsoft-Windows-PrintService/Admin", VG_SERVICE_PRINTSERVICE_ADMIN, 0},
	{"Microsoft-Windows-PrintService/Operational", VG_SERVICE_PRINTSERVICE_OPERATIONAL, 0},
	{"Microsoft-Windows-SmbClient/Security", VG_SERVICE_SMBCLIENT_SECURITY, 0},
	{"Microsoft-Windows-SmbClient/Connectivity", VG_SERVICE_SMBCLIENT_CONNECTIVITY, 0},
	{"Microsoft-Windows-SMBServer/Connectivity", VG_SERVICE_SMBSERVER_CONNECTIVITY, 0},
	{"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", VG_SERVICE_TERMINALSERVICES, 0},
	{"Microsoft-Windows-DriverFrameworks-UserMode/Operational", VG_SERVICE_DRIVER_FRAMEWORK, 0},
	/* SigmaHQ's only rule for this channel says "service: ldap"; pySigma calls
	 * it ldap_debug. One event has one service, so the rules' name wins. */
	{"Microsoft-Windows-LDAP-Client/Debug", VG_SERVICE_LDAP, 0},
	{"MSExchange Management", VG_SERVICE_MSEXCHANGE, 0},
	{"OpenSSH/Operational", VG_SERVICE_OPENSSH, 0},
	{"Microsoft-Windows-BitLocker/BitLocker Management", VG_SERVICE_BITLOCKER, 0},
	{"Microsoft-Windows-AppXDeploymentServer/Operational", VG_SERVICE_APPXDEPLOYMENT, 0},
	{"Microsoft-Windows-DHCP-Server/Operational", VG_SERVICE_DHCP, 0},
	{"Microsoft-Windows-CAPI2/Operational", VG_SERVICE_CAPI2, 0},
	{"Microsoft-Windows-Shell-Core/Operational", VG_SERVICE_SHELL_CORE, 0},
	{"Microsoft-Windows-Diagnosis-Scripted/Operational", VG_SERVICE_DIAGNOSIS_SCRIPTED, 0},
	{"Microsoft-Windows-AppModel-Runtime/Admin", VG_SERVICE_APPMODEL_RUNTIME, 0},
	{"Microsoft-Windows-AppxPackaging/Operational", VG_SERVICE_APPXPACKAGING, 0},
	/* Both spellings are in the wild (the log's real name has a dash). */
	{"Microsoft-Windows-VHDMP-Operational", VG_SERVICE_VHDMP, 0},
	{"Microsoft-Windows-VHDMP/Operational", VG_SERVICE_VHDMP, 0},
	{"Microsoft-Windows-LSA/Operational", VG_SERVICE_LSA_SERVER, 0},
	{"Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational", VG_SERVICE_CERTIFICATESERVICESCLIENT, 0},
	{"Microsoft-Windows-DNS-Client/Operational", VG_SERVICE_DNS_CLIENT, 0},
	{"Microsoft-Windows-DNS Client Events/Operational", VG_SERVICE_DNS_CLIENT, 0},
	{"Microsoft-Windows-Kernel-ShimEngine/Operational", VG_SERVICE_KERNEL_SHIMENGINE, 0},
	{"Microsoft-Windows-Security-Mitigations/", VG_SERVICE_SECURITY_MITIGATIONS, 1},
	{"Microsoft-IIS-Configuration/", VG_SERVICE_IIS_CONFIGURATION, 1},
	{"Microsoft-ServiceBus-Client", VG_SERVICE_SERVICEBUS_CLIENT, 0},
	{"Microsoft-Windows-Hyper-V-Worker-Admin", VG_SERVICE_HYPERV_WORKER, 0},
};

/* When events arrive through Windows Event Forwarding their channel is
 * "ForwardedEvents"; the provider still says where they come from. */
static const struct chan_row providers[] = {
	{"Microsoft-Windows-Sysmon", VG_SERVICE_SYSMON, 0},
	{"Microsoft-Windows-Security-Auditing", VG_SERVICE_SECURITY, 0},
	{"Service Control Manager", VG_SERVICE_SYSTEM, 0},
	{"Microsoft-Windows-PowerShell", VG_SERVICE_POWERSHELL, 0},
	{"PowerShell", VG_SERVICE_POWERSHELL_CLASSIC, 0},
	{"Microsoft-Windows-Windows Defender", VG_SERVICE_WINDEFEND, 0},
	{"Microsoft-Windows-TaskScheduler", VG_SERVICE_TASKSCHEDULER, 0},
	{"Microsoft-Windows-WMI-Activity", VG_SERVICE_WMI, 0},
	{"Microsoft-Windows-Bits-Client", VG_SERVICE_BITS_CLIENT, 0},
	{"Microsoft-Windows-CodeIntegrity", VG_SERVICE_CODEINTEGRITY, 0},
	{"Microsoft-Windows-Windows Firewall With Advanced Security", VG_SERVICE_FIREWALL_AS, 0},
	{"Microsoft-Windows-AppLocker", VG_SERVICE_APPLOCKER, 0},
	{"Microsoft-Windows-TerminalServices-LocalSessionManager", VG_SERVICE_TERMINALSERVICES, 0},
	{"Microsoft-Windows-DNS-Client", VG_SERVICE_DNS_CLIENT, 0},
	{"OpenSSH", VG_SERVICE_OPENSSH, 0},
};

struct cat_row {
	uint8_t service;      /* 0: any service (then provider must be set) */
	const char *provider; /* NULL: any provider */
	long event_id;
	uint8_t category;
};

static const struct cat_row categories[] = {
	{VG_SERVICE_SYSMON, NULL, 1, VG_CATEGORY_PROCESS_CREATION},
	{VG_SERVICE_SYSMON, NULL, 2, VG_CATEGORY_FILE_CHANGE},
	{VG_SERVICE_SYSMON, NULL, 3, VG_CATEGORY_NETWORK_CONNECTION},
	{VG_SERVICE_SYSMON, NULL, 4, VG_CATEGORY_SYSMON_STATUS},
	{VG_SERVICE_SYSMON, NULL, 5, VG_CATEGORY_PROCESS_TERMINATION},
	{VG_SERVICE_SYSMON, NULL, 6, VG_CATEGORY_DRIVER_LOAD},
	{VG_SERVICE_SYSMON, NULL, 7, VG_CATEGORY_IMAGE_LOAD},
	{VG_SERVICE_SYSMON, NULL, 8, VG_CATEGORY_CREATE_REMOTE_THREAD},
	{VG_SERVICE_SYSMON, NULL, 9, VG_CATEGORY_RAW_ACCESS_THREAD},
	{VG_SERVICE_SYSMON, NULL, 10, VG_CATEGORY_PROCESS_ACCESS},
	{VG_SERVICE_SYSMON, NULL, 11, VG_CATEGORY_FILE_EVENT},
	{VG_SERVICE_SYSMON, NULL, 12, VG_CATEGORY_REGISTRY_ADD}, /* DeleteKey/DeleteValue: registry_delete, see below */
	{VG_SERVICE_SYSMON, NULL, 13, VG_CATEGORY_REGISTRY_SET},
	{VG_SERVICE_SYSMON, NULL, 14, VG_CATEGORY_REGISTRY_RENAME},
	{VG_SERVICE_SYSMON, NULL, 15, VG_CATEGORY_CREATE_STREAM_HASH},
	{VG_SERVICE_SYSMON, NULL, 16, VG_CATEGORY_SYSMON_STATUS},
	{VG_SERVICE_SYSMON, NULL, 17, VG_CATEGORY_PIPE_CREATED},
	{VG_SERVICE_SYSMON, NULL, 18, VG_CATEGORY_PIPE_CREATED},
	{VG_SERVICE_SYSMON, NULL, 19, VG_CATEGORY_WMI_EVENT},
	{VG_SERVICE_SYSMON, NULL, 20, VG_CATEGORY_WMI_EVENT},
	{VG_SERVICE_SYSMON, NULL, 21, VG_CATEGORY_WMI_EVENT},
	{VG_SERVICE_SYSMON, NULL, 22, VG_CATEGORY_DNS_QUERY},
	{VG_SERVICE_SYSMON, NULL, 23, VG_CATEGORY_FILE_DELETE},
	{VG_SERVICE_SYSMON, NULL, 24, VG_CATEGORY_CLIPBOARD_CAPTURE},
	{VG_SERVICE_SYSMON, NULL, 25, VG_CATEGORY_PROCESS_TAMPERING},
	{VG_SERVICE_SYSMON, NULL, 26, VG_CATEGORY_FILE_DELETE}, /* FileDeleteDetected */
	{VG_SERVICE_SYSMON, NULL, 27, VG_CATEGORY_FILE_BLOCK},
	{VG_SERVICE_SYSMON, NULL, 28, VG_CATEGORY_FILE_BLOCK},
	{VG_SERVICE_SYSMON, NULL, 29, VG_CATEGORY_FILE_EXECUTABLE_DETECTED},
	{VG_SERVICE_SYSMON, NULL, 255, VG_CATEGORY_SYSMON_ERROR},
	{VG_SERVICE_SECURITY, NULL, 4688, VG_CATEGORY_PROCESS_CREATION},
	{VG_SERVICE_POWERSHELL, NULL, 4103, VG_CATEGORY_PS_MODULE},
	{VG_SERVICE_POWERSHELL, NULL, 4104, VG_CATEGORY_PS_SCRIPT},
	{VG_SERVICE_POWERSHELL_CLASSIC, NULL, 400, VG_CATEGORY_PS_CLASSIC_START},
	{VG_SERVICE_POWERSHELL_CLASSIC, NULL, 600, VG_CATEGORY_PS_CLASSIC_PROVIDER_START},
	/* SigmaHQ's file_access rules read the Kernel-File ETW provider's
	 * Create event (FileName), not Security 4663 (ObjectName). */
	{0, "Microsoft-Windows-Kernel-File", 12, VG_CATEGORY_FILE_ACCESS},
};

static int name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	return alen == blen && strncasecmp(a, b, blen) == 0;
}

static uint8_t lookup(const struct chan_row *rows, size_t nrows, const char *s, size_t n)
{
	if (s == NULL || n == 0)
		return VG_SERVICE_NONE;
	for (size_t i = 0; i < nrows; i++) {
		size_t len = strlen(rows[i].name);
		if (rows[i].prefix ? n > len && strncasecmp(s, rows[i].name, len) == 0 : name_eq(s, n, rows[i].name))
			return rows[i].service;
	}
	return VG_SERVICE_NONE;
}

#define N(t) (sizeof(t) / sizeof((t)[0]))

uint8_t vg_winlog_service(const char *channel, size_t channel_len, const char *provider, size_t provider_len)
{
	uint8_t s = lookup(channels, N(channels), channel, channel_len);
	if (s == VG_SERVICE_NONE)
		s = lookup(providers, N(providers), provider, provider_len);
	return s;
}

uint8_t vg_winlog_category(uint8_t service, const char *provider, size_t provider_len, long event_id,
			   const char *event_type, size_t event_type_len)
{
	for (size_t i = 0; i < N(categories); i++) {
		const struct cat_row *r = &categories[i];
		if (r->event_id != event_id || (r->service != 0 && r->service != service))
			continue;
		if (r->provider != NULL && (provider == NULL || !name_eq(provider, provider_len, r->provider)))
			continue;
		/* Sysmon 12 is "object create and delete": EventType says which. */
		if (r->category == VG_CATEGORY_REGISTRY_ADD && event_type != NULL && event_type_len >= 6 &&
		    strncasecmp(event_type, "Delete", 6) == 0)
			return VG_CATEGORY_REGISTRY_DELETE;
		return r->category;
	}
	return VG_CATEGORY_NONE;
}
