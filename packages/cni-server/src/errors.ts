/**
 * Errors of @vectorplane/cni-server. Each has a stable `name` and `code`; callers branch on those, never on
 * `instanceof` (the package ships ESM and CJS).
 */

/** Base class: every error of this package. */
export class CniServerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CniServerError';
    this.code = code;
  }
}

/** A request field is missing or malformed; `field` is its path (`container_ips[1].address`). */
export class InvalidRequestError extends CniServerError {
  readonly field: string;
  readonly value: unknown;
  constructor(field: string, value: unknown, reason: string) {
    super('INVALID_REQUEST', `${field}: ${reason} (got ${JSON.stringify(value) ?? String(value)})`);
    this.name = 'InvalidRequestError';
    this.field = field;
    this.value = value;
  }
}

/** The pod's network namespace path does not exist. */
export class NetnsNotFoundError extends CniServerError {
  readonly field = 'netns';
  readonly netns: string;
  constructor(netns: string) {
    super('NETNS_NOT_FOUND', `netns: no network namespace at ${JSON.stringify(netns)}`);
    this.name = 'NetnsNotFoundError';
    this.netns = netns;
  }
}

/** An interface of that name already exists and is not ours (in the pod netns or on VPP's side). */
export class InterfaceExistsError extends CniServerError {
  readonly field: string;
  readonly ifname: string;
  constructor(field: string, ifname: string, where: string) {
    super('INTERFACE_EXISTS', `${field}: an interface named ${JSON.stringify(ifname)} already exists in ${where}`);
    this.name = 'InterfaceExistsError';
    this.field = field;
    this.ifname = ifname;
  }
}

/** A container IP is already held by another pod. */
export class DuplicateIpError extends CniServerError {
  readonly field: string;
  readonly address: string;
  readonly owner: string;
  constructor(field: string, address: string, owner: string) {
    super('DUPLICATE_IP', `${field}: ${address} is already used by pod ${owner}`);
    this.name = 'DuplicateIpError';
    this.field = field;
    this.address = address;
    this.owner = owner;
  }
}

/** A step of building the pod failed; `step` names it, `cause` is the VPP or netlink error. */
export class PodSetupError extends CniServerError {
  readonly step: string;
  constructor(step: string, cause: unknown) {
    super('POD_SETUP_FAILED', `${step}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'PodSetupError';
    this.step = step;
  }
}

/** The state file cannot be read: bad JSON, unknown version or invalid content; `path` is the file. */
export class StateFileError extends CniServerError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('STATE_FILE_INVALID', `${path}: ${reason}`, options);
    this.name = 'StateFileError';
    this.path = path;
  }
}

/** The server is not started or was stopped. */
export class ServerNotRunningError extends CniServerError {
  constructor(what: string) {
    super('SERVER_NOT_RUNNING', `${what}: the CNI server is not running`);
    this.name = 'ServerNotRunningError';
  }
}
