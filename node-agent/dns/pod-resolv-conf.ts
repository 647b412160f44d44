// A pod's /etc/resolv.conf, pure, as kubelet composes it
// (pkg/kubelet/network/dns/dns.go: GetPodDNS, getPodDNSType,
// generateSearchesForDNSClusterFirst, appendDNSConfig, formDNSConfigFitsLimits),
// and the parser for the host's resolv.conf that both it and the DNS
// responder's upstream list use.

export type DnsPolicy = "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None";

/** A pod's spec.dnsConfig. */
export interface PodDnsConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  /** As written: `ndots:5`, `rotate`. */
  options: string[];
}

export interface PodResolvConfInput {
  namespace: string;
  /** The cluster DNS address this node's pods use (the node's responder). */
  nameserver: string;
  clusterDomain?: string;
  /** The host's search domains, appended after the cluster ones for ClusterFirst. */
  hostSearch?: string[];
  /** The host's nameservers and options, used by dnsPolicy Default (and ClusterFirst on the host network). */
  hostNameservers?: string[];
  hostOptions?: string[];
  dnsPolicy?: DnsPolicy;
  /** spec.hostNetwork: ClusterFirst then falls back to Default, as kubelet does. */
  hostNetwork?: boolean;
  dnsConfig?: PodDnsConfig;
}

// Kubernetes' validation limits (MaxDNSNameservers, MaxDNSSearchPaths, MaxDNSSearchListChars).
const MAX_NAMESERVERS = 3;
const MAX_SEARCH_PATHS = 32;
const MAX_SEARCH_LIST_CHARS = 2048;
const MAX_SEARCH_NAME = 253;

const unique = (xs: string[]) => [...new Set(xs)];

/** Parses resolv.conf text like kubelet: nameservers accumulate, the last `search` wins, options merge by name. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const [key, ...fields] = line.split(/\s+/);
    if (key === "nameserver" && fields[0]) conf.nameservers.push(fields[0]);
    // A trailing dot would count the same domain twice against the limits.
    else if (key === "search") conf.searches = fields.filter((s) => s !== ".").map((s) => s.replace(/\.$/, ""));
    else if (key === "options") conf.options = mergeOptions(conf.options, fields.map(splitOption));
  }
  return conf;
}

function splitOption(op: string): { name: string; value?: string } {
  const i = op.indexOf(":");
  return i === -1 ? { name: op } : { name: op.slice(0, i), value: op.slice(i + 1) };
}

/** Later options replace earlier ones of the same name (kubelet's mergeDNSOptions), keeping first-seen order. */
function mergeOptions(existing: string[], extra: { name: string; value?: string }[]): string[] {
  const merged = new Map<string, string>();
  for (const op of [...existing.map(splitOption), ...extra]) merged.set(op.name, op.value ?? "");
  return [...merged].map(([name, value]) => (value === "" ? name : `${name}:${value}`));
}

/** kubelet's formDNSSearchFitsLimits: at most 32 paths, none over 253 chars, the line at most 2048 chars. */
function fitSearches(searches: string[]): string[] {
  let s = searches.slice(0, MAX_SEARCH_PATHS).filter((d) => d.length <= MAX_SEARCH_NAME);
  while (s.length > 0 && s.join(" ").length > MAX_SEARCH_LIST_CHARS) s = s.slice(0, -1);
  return s;
}

/** The pod's resolver settings; render with `renderResolvConf`. */
export function podDnsSettings(input: PodResolvConfInput): ResolvConf {
  const domain = (input.clusterDomain ?? "cluster.local").replace(/\.$/, "");
  const policy = input.dnsPolicy ?? "ClusterFirst";
  const hostSearch = input.hostSearch ?? [];
  let conf: ResolvConf;
  if (policy === "None") {
    conf = { nameservers: [], searches: [], options: [] };
  } else if (policy === "ClusterFirstWithHostNet" || (policy === "ClusterFirst" && !input.hostNetwork)) {
    conf = {
      nameservers: [input.nameserver],
      searches: unique([`${input.namespace}.svc.${domain}`, `svc.${domain}`, domain, ...hostSearch]),
      // The host's options are not carried over, only kubelet's default.
      options: ["ndots:5"],
    };
  } else {
    conf = { nameservers: [...(input.hostNameservers ?? [])], searches: [...hostSearch], options: [...(input.hostOptions ?? [])] };
  }
  const extra = input.dnsConfig;
  if (extra) {
    conf = {
      nameservers: unique([...conf.nameservers, ...(extra.nameservers ?? [])]),
      searches: unique([...conf.searches, ...(extra.searches ?? [])]),
      options: mergeOptions(conf.options, extra.options ?? []),
    };
  }
  return { nameservers: conf.nameservers.slice(0, MAX_NAMESERVERS), searches: fitSearches(conf.searches), options: conf.options };
}

/** resolv.conf text in the order the CRI writes it: search, nameserver lines, options. */
export function renderResolvConf(conf: ResolvConf): string {
  const lines: string[] = [];
  if (conf.searches.length > 0) lines.push(`search ${conf.searches.join(" ")}`);
  for (const ns of conf.nameservers) lines.push(`nameserver ${ns}`);
  if (conf.options.length > 0) lines.push(`options ${conf.options.join(" ")}`);
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** The text kubelet writes to a pod's /etc/resolv.conf. */
export function podResolvConf(input: PodResolvConfInput): string {
  return renderResolvConf(podDnsSettings(input));
}
