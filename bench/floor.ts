/**
 * The floor: the same networks, creates and starts the controller performs for N web apps, done
 * directly with dockerode at the same concurrency, with nothing else around them.
 */
import type Docker from 'dockerode';
import PQueue from 'p-queue';
import { httpGet } from '../test/helpers/http.js';
import { waitFor } from '../test/helpers/wait.js';

export interface FloorApp {
  readonly name: string;
  readonly hostPort: number;
  /** The app network's subnet: Docker's default pools hold only ~30 networks, as for the controller. */
  readonly subnet: string;
}

const labels = (instance: string, app: string) => ({
  'org.amahi.managed-by': 'amahi-app-controller', 'org.amahi.instance': instance, 'org.amahi.app': app,
});

/** Creates the network, creates and starts the container of one app; returns the container id. */
export async function floorInstall(docker: Docker, instance: string, image: string, app: FloorApp): Promise<string> {
  const network = `amahi_${instance}.${app.name}`;
  await docker.createNetwork({
    Name: network, Driver: 'bridge', CheckDuplicate: true, Labels: labels(instance, app.name),
    IPAM: { Driver: 'default', Config: [{ Subnet: app.subnet }] },
  });
  const container = await docker.createContainer({
    name: `${instance}.${app.name}_web`,
    Image: image,
    Env: [`APP_NAME=${app.name}`],
    Labels: { ...labels(instance, app.name), 'org.amahi.container': 'web' },
    ExposedPorts: { '80/tcp': {} },
    HostConfig: {
      Init: true,
      RestartPolicy: { Name: 'unless-stopped' },
      PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(app.hostPort) }] },
      NetworkMode: network,
    },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: ['web'] } } },
  });
  await container.start();
  return container.id;
}

export async function floorInstallAll(docker: Docker, instance: string, image: string, apps: readonly FloorApp[], concurrency: number): Promise<void> {
  const queue = new PQueue({ concurrency });
  await Promise.all(apps.map((app) => queue.add(() => floorInstall(docker, instance, image, app))));
}

/** Create, start, and the first HTTP 200 from the container's published port directly. */
export async function floorFirstResponse(docker: Docker, instance: string, image: string, app: FloorApp): Promise<number> {
  const start = performance.now();
  await floorInstall(docker, instance, image, app);
  await waitFor(async () => (await httpGet(app.hostPort, 'localhost', '/', 1000)).status === 200, { intervalMs: 10, timeoutMs: 30_000, what: 'floor app to answer' });
  return performance.now() - start;
}
