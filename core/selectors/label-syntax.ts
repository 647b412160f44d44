// Syntax checks for label keys and values, with Kubernetes' wording
// (apimachinery validation.IsQualifiedName / IsValidLabelValue). Kept local
// to the selectors so they do not depend on core/resources.

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NAME_MAX = 63;
const PREFIX_MAX = 253;
const VALUE_MAX = 63;

const NAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const PREFIX_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Problems with a label key (`[prefix/]name`); empty when it is valid. */
export function labelKeyErrors(key: string): string[] {
  const parts = key.split("/");
  if (parts.length > 2) {
    return [`a qualified name ${NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const errs: string[] = [];
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === "") errs.push("prefix part must be non-empty");
    else {
      if (prefix.length > PREFIX_MAX) errs.push(`prefix part must be no more than ${PREFIX_MAX} characters`);
      if (!DNS1123_SUBDOMAIN_RE.test(prefix)) errs.push(`prefix part ${PREFIX_MSG}`);
    }
  }
  if (name === "") errs.push("name part must be non-empty");
  else if (name.length > NAME_MAX) errs.push(`name part must be no more than ${NAME_MAX} characters`);
  if (!NAME_RE.test(name)) errs.push(`name part ${NAME_MSG}`);
  return errs;
}

/** Problems with a label value (may be empty); empty when it is valid. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > VALUE_MAX) errs.push(`must be no more than ${VALUE_MAX} characters`);
  if (!VALUE_RE.test(value)) errs.push(VALUE_MSG);
  return errs;
}

/** `field: Invalid value: "v": detail`, the shape of a Kubernetes field.Invalid error. */
export function invalidValue(field: string, value: unknown, detail: string): string {
  return `${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
}
