/* Generated from schemas/app.schema.json by scripts/gen-spec-types.mjs. Do not edit. */

/**
 * A host name: dot-separated labels of lower-case letters, digits and '-' (each 1-63 characters, not starting or ending with '-').
 */
export type Hostname = string;
/**
 * Overrides the image's CMD: a list, or a string split like a shell would (no expansion). May use the ${...} variables. Default: the image's CMD.
 *
 * @maxItems 1024
 */
export type StringOrList = string | string[];
/**
 * Overrides the image's ENTRYPOINT: a list, or a string split like a shell would (no expansion). May use the ${...} variables. Default: the image's ENTRYPOINT.
 *
 * @maxItems 1024
 */
export type StringOrList1 = string | string[];
/**
 * ["CMD", arg...], ["CMD-SHELL", "command"], ["NONE"], or a string run by the container's shell (as CMD-SHELL). May use the ${...} variables. Default: the image's test.
 *
 * @maxItems 1024
 */
export type StringOrList2 = string | string[];

/**
 * An app managed by the Amahi App Controller: one or more containers on one private network, optionally served through the reverse proxy as <hostname>.<domain>.
 */
export interface AmahiApp {
  /**
   * Version of the app format. Required; always amahi.org/v1.
   */
  apiVersion: 'amahi.org/v1';
  /**
   * Kind of document. Required; always App.
   */
  kind: 'App';
  /**
   * What identifies the app. Required.
   */
  metadata: {
    /**
     * Required. The app's identity everywhere (containers <name>_<key>, network amahi_<name>, vhost, data directory <dataRoot>/<name>): a DNS-1123 label of 1-40 characters, lower-case letters, digits and '-', starting with a letter and not ending with '-'. One name may be defined by one file only.
     */
    name: string;
  };
  /**
   * The desired state of the app. Required.
   */
  spec: {
    /**
     * Stable app id, 1-30000 (and basePort + id must be a port). The web port is published on the host at basePort + id (Amahi's HOST_PORT). Default: an id allocated once by the controller and kept in <stateDir>/allocations.json.
     */
    id?: number;
    /**
     * How the app is served through the reverse proxy as http://<hostname>.<domain>/. Default: absent, a headless app without a virtual host and without a web port.
     */
    web?: {
      /**
       * Key of the container that serves HTTP (a key of spec.containers). Default: the only container of the app; required when the app has several.
       */
      container?: string;
      /**
       * Required. Container port that serves HTTP, 1-65535; the controller publishes it on publishAddress at basePort + id (${HOST_PORT}) for the proxy. Do not list it in ports.
       */
      port: number;
      /**
       * Virtual host name (ServerName); <hostname>.<domain> is served too. Default: metadata.name.
       */
      hostname?: string;
      /**
       * Extra host names served by the same virtual host (ServerAlias), at most 32. Host names only: dot-separated labels of lower-case letters, digits and '-'. Default: none.
       *
       * @maxItems 32
       */
      aliases?: Hostname[];
      /**
       * Proxy WebSocket Upgrade requests to the app. Default: true.
       */
      websockets?: boolean;
    };
    /**
     * Required. The app's containers, by key (a DNS-1123 label: lower-case letters, digits and '-'), at least 1 and at most 50. Containers of one app reach each other by their key on the app's private network.
     */
    containers: {
      [k: string]: Container;
    };
    /**
     * How new images of the app are picked up. Default: {policy: manual}.
     */
    update?: {
      /**
       * manual: new images only with `amahictl update <app>`; auto: pulled on the controller's update schedule, health-gated, rolled back on failure. Default: manual.
       */
      policy?: 'manual' | 'auto';
    };
  };
}
/**
 * One container of the app, with compose-like fields. It runs as <app>_<key> on the app's network, labelled as the controller's own.
 */
export interface Container {
  /**
   * Image reference, e.g. docker.io/library/nginx:1.25, amahi-demo/httpd:1 or 127.0.0.1:5000/hello:v1 (:latest when no tag is given). Required unless build is given; with build, the tag given to the built image. Default (with build): amahi-build/<app>-<key>:latest.
   */
  image?: string;
  /**
   * Build the image locally from a Dockerfile instead of pulling it. Default: absent, the image is pulled.
   */
  build?: {
    /**
     * Required. Build context directory: relative to the spec file's directory (and inside it), or an absolute path inside the host's policy.allowedHostPaths.
     */
    context: string;
    /**
     * Dockerfile path inside the context. Default: Dockerfile.
     */
    dockerfile?: string;
    /**
     * Build arguments (ARG) by name. Default: none.
     */
    args?: {
      /**
       * The value of the build argument.
       */
      [k: string]: string;
    };
  };
  command?: StringOrList;
  entrypoint?: StringOrList1;
  /**
   * Environment variables by name (letters, digits and '_', not starting with a digit); numbers and booleans are passed as written. Values may use ${APP_IDENTIFIER}, ${APP_HOSTNAME}, ${HOST_PORT}, ${HDA_DOMAIN} and ${APP_DATA}; $$ is a literal $. Default: none.
   */
  env?: {
    /**
     * The value: a string (may use the ${...} variables), a number or a boolean.
     */
    [k: string]: string | number | boolean;
  };
  /**
   * Extra fixed host ports, published on all interfaces: "HOST:CONTAINER" or "HOST:CONTAINER/udp" (tcp by default), each 1-65535; a host port may be claimed by one app only and may not lie in the web port range basePort+1..basePort+30000. The web port is published by the controller and is not listed here. Default: none.
   *
   * @maxItems 256
   *
   * Items: HOST:CONTAINER or HOST:CONTAINER/udp, e.g. "2224:22" or "3484:3483/udp".
   */
  ports?: string[];
  /**
   * Mounts as SOURCE:TARGET[:ro|:rw]. A relative source (./config) lives under <dataRoot>/<app>/ and may not leave it; an absolute source must lie inside the host's policy.allowedHostPaths (e.g. /etc/localtime:/etc/localtime:ro); a bare name (cache) is the named volume amahi_<app>_<name>. TARGET is an absolute path in the container. Default: none.
   *
   * @maxItems 256
   *
   * Items: SOURCE:TARGET or SOURCE:TARGET:ro, e.g. ./config:/config, cache:/cache or /etc/localtime:/etc/localtime:ro.
   */
  volumes?: string[];
  /**
   * Restart policy: no, always, on-failure or unless-stopped. Default: unless-stopped.
   */
  restart?: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  /**
   * A host name: dot-separated labels of lower-case letters, digits and '-' (each 1-63 characters, not starting or ending with '-').
   */
  hostname?: string;
  /**
   * User (and group) the process runs as: NAME, UID, NAME:GROUP or UID:GID. Default: the image's USER.
   */
  user?: string;
  /**
   * Run a tiny init as PID 1 that forwards signals and reaps zombies (needed for busybox and shell scripts to stop on SIGTERM). Default: false.
   */
  init?: boolean;
  /**
   * How the engine checks that the container is healthy (what dependsOn: healthy waits for). Default: the image's own healthcheck, if any.
   */
  healthcheck?: {
    test?: StringOrList2;
    /**
     * Time between checks. Default: the image's, else the engine's (30s).
     */
    interval?: string;
    /**
     * Time a check may take. Default: the image's, else the engine's (30s).
     */
    timeout?: string;
    /**
     * Consecutive failures that make the container unhealthy, 0-1000. Default: the image's, else the engine's (3).
     */
    retries?: number;
    /**
     * Grace period at start-up during which failures do not count. Default: the image's, else 0s.
     */
    startPeriod?: string;
    /**
     * Disable every healthcheck, also the image's own. Default: false.
     */
    disable?: boolean;
  };
  /**
   * Containers of this app that must be started (started), healthy (healthy: they need a healthcheck) or run to completion with exit 0 (completed: they need restart no or on-failure) before this one is started. No cycles. Default: none.
   */
  dependsOn?: {
    /**
     * started, healthy or completed.
     */
    [k: string]: 'started' | 'healthy' | 'completed';
  };
  /**
   * Resource limits. Default: no limits.
   */
  resources?: {
    /**
     * CPU limit in cores, e.g. 1.5 (more than 0, at most 1024). Default: no limit.
     */
    cpus?: number;
    /**
     * Memory limit, at least 4Mi: bytes, or a number with a unit (k, M, G, T; Ki, Mi, Gi, Ti; kB, MB...), e.g. 512Mi. Default: no limit.
     */
    memory?: number | string;
    /**
     * Maximum number of processes, 1-4194304. Default: no limit.
     */
    pids?: number;
  };
  /**
   * Time the container gets to stop after SIGTERM before it is killed. Default: 10s.
   */
  stopGracePeriod?: string;
  /**
   * Linux capabilities to add, without the CAP_ prefix (e.g. NET_ADMIN). Only those in the host's policy.allowedCapabilities. Default: none.
   *
   * @maxItems 64
   *
   * Items: A capability name in capitals, e.g. NET_ADMIN.
   */
  capAdd?: string[];
  /**
   * Host devices as HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]], e.g. /dev/dri or /dev/ttyUSB0:/dev/ttyUSB0:rw. Only those in the host's policy.allowedDevices. Default: none.
   *
   * @maxItems 64
   *
   * Items: /dev/HOST[:/CONTAINER[:rwm]].
   */
  devices?: string[];
  /**
   * Give the container every privilege of the host. Refused unless the host's policy.allowPrivileged is set. Default: false.
   */
  privileged?: boolean;
  /**
   * Use the host's network namespace instead of the app network (no ports, no web port). Refused unless the host's policy.allowHostNamespaces is set. Default: false.
   */
  hostNetwork?: boolean;
  /**
   * Use the host's PID namespace. Refused unless the host's policy.allowHostNamespaces is set. Default: false.
   */
  hostPID?: boolean;
  /**
   * Use the host's IPC namespace. Refused unless the host's policy.allowHostNamespaces is set. Default: false.
   */
  hostIPC?: boolean;
  /**
   * How many instances of this container run. On one host (runtime.kind docker) more than 1 is refused for a container that publishes ports (every instance would claim the same host port); on Docker Swarm each instance is a task, placed on a node by `placement`. Default: 1.
   */
  replicas?: number;
  /**
   * Where the container may run on a Docker Swarm (runtime.kind swarm): every condition given must hold for a node. The single-host runtime has one node and ignores placement. Default: any node.
   */
  placement?: {
    /**
     * A host name: dot-separated labels of lower-case letters, digits and '-' (each 1-63 characters, not starting or ending with '-').
     */
    hostname?: string;
    /**
     * Run only on managers or only on workers (node.role). Default: either.
     */
    role?: 'manager' | 'worker';
    /**
     * Run only on nodes that carry every one of these labels with this value (node.labels.<name>), as set with `docker node update --label-add name=value NODE`. Default: no label needed.
     */
    nodeLabels?: {
      /**
       * The label's value: letters, digits, '.', '_' and '-'. Required for each label named.
       */
      [k: string]: string;
    };
  };
}
