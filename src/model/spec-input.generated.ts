/* Generated from schemas/app.schema.json by scripts/gen-spec-types.mjs. Do not edit. */

/**
 * A host name: dot-separated labels of lower-case letters, digits and '-' (each 1-63 characters, not starting or ending with '-').
 */
export type Hostname = string;

/**
 * An app managed by the Amahi App Controller: one or more containers on one private network, optionally served through the reverse proxy as <hostname>.<domain>.
 */
export interface AmahiApp {
  /**
   * Version of the app format. Always amahi.org/v1.
   */
  apiVersion: 'amahi.org/v1';
  /**
   * Kind of document. Always App.
   */
  kind: 'App';
  /**
   * What identifies the app.
   */
  metadata: {
    /**
     * The app's identity everywhere (containers, network, vhost, data directory): a DNS-1123 label of 1-40 characters, lower-case letters, digits and '-', starting with a letter and not ending with '-'.
     */
    name: string;
  };
  /**
   * The desired state of the app.
   */
  spec: {
    /**
     * Stable app id. The web port is published on the host at basePort + id. Default: allocated once by the controller and kept in <stateDir>/allocations.json.
     */
    id?: number;
    /**
     * How the app is served through the reverse proxy. Absent: a headless app without a virtual host.
     */
    web?: {
      /**
       * Key of the container that serves HTTP. Default: the only container of the app.
       */
      container?: string;
      /**
       * Container port that serves HTTP; published on publishAddress at basePort + id.
       */
      port: number;
      /**
       * Virtual host name (ServerName); <hostname>.<domain> is served too. Default: metadata.name.
       */
      hostname?: string;
      /**
       * Extra host names served by the same virtual host. Host names only (letters, digits, '-' and '.').
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
     * The app's containers, by key (a DNS-1123 label). Containers of one app reach each other by their key. At most 50.
     */
    containers: {
      [k: string]: Container;
    };
    /**
     * How new images of the app are picked up.
     */
    update?: {
      /**
       * manual: only `amahictl update`; auto: pull on the controller's update schedule, health-gated, rolled back on failure. Default: manual.
       */
      policy?: 'manual' | 'auto';
    };
  };
}
/**
 * One container of the app, with compose-like fields.
 */
export interface Container {
  /**
   * Image reference, e.g. docker.io/library/nginx:1.25 or 127.0.0.1:5000/hello:v1. Required unless build is given; with build, the tag given to the built image.
   */
  image?: string;
  /**
   * Build the image locally from a Dockerfile instead of pulling it.
   */
  build?: {
    /**
     * Build context directory: relative to the spec file's directory, or absolute.
     */
    context: string;
    /**
     * Dockerfile path inside the context. Default: Dockerfile.
     */
    dockerfile?: string;
    /**
     * Build arguments (ARG) by name.
     */
    args?: {
      [k: string]: string;
    };
  };
  /**
   * Overrides the image's CMD. A list, or a string split like a shell would (no expansion). May use ${...} variables.
   */
  command?: string | string[];
  /**
   * Overrides the image's ENTRYPOINT. A list, or a string split like a shell would (no expansion). May use ${...} variables.
   */
  entrypoint?: string | string[];
  /**
   * Environment variables by name. Values may use ${APP_IDENTIFIER}, ${APP_HOSTNAME}, ${HOST_PORT}, ${HDA_DOMAIN} and ${APP_DATA}; $$ is a literal $.
   */
  env?: {
    [k: string]: string | number | boolean;
  };
  /**
   * Extra fixed host ports, published on all interfaces: HOST:CONTAINER or HOST:CONTAINER/udp (tcp by default). The web port is published by the controller and is not listed here.
   *
   * @maxItems 256
   */
  ports?: string[];
  /**
   * Mounts as SOURCE:TARGET[:ro|:rw]. A relative source (./config) lives under <dataRoot>/<app>/; an absolute source must lie inside policy.allowedHostPaths; a bare name is a named volume amahi_<app>_<name>.
   *
   * @maxItems 256
   */
  volumes?: string[];
  /**
   * Restart policy. Default: unless-stopped.
   */
  restart?: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  /**
   * A host name: dot-separated labels of lower-case letters, digits and '-' (each 1-63 characters, not starting or ending with '-').
   */
  hostname?: string;
  /**
   * User (and group) the process runs as: NAME, UID, NAME:GROUP or UID:GID.
   */
  user?: string;
  /**
   * Run a tiny init as PID 1 that forwards signals and reaps zombies. Default: false.
   */
  init?: boolean;
  /**
   * How the engine checks that the container is healthy.
   */
  healthcheck?: {
    /**
     * ["CMD", arg...], ["CMD-SHELL", "command"], ["NONE"], or a string run by the container's shell. May use ${...} variables.
     */
    test?: string | string[];
    /**
     * Time between checks. Default: the engine's (30s).
     */
    interval?: string;
    /**
     * Time a check may take. Default: the engine's (30s).
     */
    timeout?: string;
    /**
     * Consecutive failures that make the container unhealthy. Default: the engine's (3).
     */
    retries?: number;
    /**
     * Grace period at start-up during which failures do not count. Default: 0s.
     */
    startPeriod?: string;
    /**
     * Disable the image's own healthcheck. Default: false.
     */
    disable?: boolean;
  };
  /**
   * Containers of this app that must be started (started), healthy (healthy) or run to completion with exit 0 (completed) before this one is started.
   */
  dependsOn?: {
    [k: string]: 'started' | 'healthy' | 'completed';
  };
  /**
   * Resource limits.
   */
  resources?: {
    /**
     * CPU limit in cores, e.g. 1.5.
     */
    cpus?: number;
    /**
     * Memory limit: bytes, or a number with a unit (k, M, G; Ki, Mi, Gi), e.g. 512Mi.
     */
    memory?: number | string;
    /**
     * Maximum number of processes.
     */
    pids?: number;
  };
  /**
   * Time the container gets to stop after SIGTERM before it is killed. Default: 10s.
   */
  stopGracePeriod?: string;
  /**
   * Linux capabilities to add (without the CAP_ prefix). Only those in the host's policy.allowedCapabilities.
   *
   * @maxItems 64
   */
  capAdd?: string[];
  /**
   * Host devices as HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]]. Only those in the host's policy.allowedDevices.
   *
   * @maxItems 64
   */
  devices?: string[];
  /**
   * Give the container every privilege of the host. Refused unless the host's policy.allowPrivileged is set. Default: false.
   */
  privileged?: boolean;
  /**
   * Use the host's network namespace instead of the app network. Refused unless the host's policy.allowHostNamespaces is set. Default: false.
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
   * Where the container may run on a Docker Swarm (runtime.kind swarm): every condition given must hold for a node. The single-host runtime has one node and ignores placement.
   */
  placement?: {
    /**
     * A host name: dot-separated labels of lower-case letters, digits and '-' (each 1-63 characters, not starting or ending with '-').
     */
    hostname?: string;
    /**
     * Run only on managers or only on workers (node.role).
     */
    role?: 'manager' | 'worker';
    /**
     * Run only on nodes that carry every one of these labels with this value (node.labels.<name>), as set with `docker node update --label-add name=value NODE`.
     */
    nodeLabels?: {
      /**
       * The label's value: letters, digits, '.', '_' and '-'.
       */
      [k: string]: string;
    };
  };
}
