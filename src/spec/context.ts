/** What validation needs to know about the host: its policy and its ports. */
import type { PolicyConfig, RuntimeKind } from '../config.js';

export interface SpecContext {
  readonly policy: PolicyConfig;
  readonly basePort: number;
  /** Highest app id: basePort + id must stay a valid port. */
  readonly maxAppId: number;
  /** The HDA domain: an app is also served as <hostname>.<domain> (for host name collisions). */
  readonly domain?: string;
  /** Host ports that services of the host itself listen on (the proxy, the API), with who uses them. */
  readonly reservedHostPorts?: ReadonlyMap<number, string>;
  /** Which runtime will run the apps (config runtime.kind): some rules differ. Default docker. */
  readonly runtime?: RuntimeKind | undefined;
}

/** Ids above this are refused; the reserved web-port range is basePort+1 .. basePort+MAX_APP_ID. */
export const MAX_APP_ID = 30000;
