/** Builds the controller's parts from the command line: config, logger, runtime, proxy, store. */
import path from 'node:path';
import { CONFIG_FLAGS, loadConfig, parseFlagValue, type ControllerConfig } from '../config.js';
import { createRootLogger, type Logger } from '../log.js';
import { Controller, type ControllerDeps } from '../controller/controller.js';
import { ImageBook } from '../controller/image-book.js';
import { StateStore } from '../controller/state-store.js';
import { UpdateStore } from '../controller/update-store.js';
import { Proxy } from '../proxy/proxy.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { createRuntime } from '../runtime/create.js';
import type { SwarmRuntime } from '../runtime/swarm.js';

export interface GlobalOptions {
  readonly config?: string;
  readonly logLevel?: string;
  readonly [flag: string]: unknown;
}

const PATH_KEYS = new Set(['specsDir', 'stateDir', 'dataRoot', 'proxy.vhostDir', 'proxy.configFile', 'docker.socketPath']);

/** commander's camelCase option name for a kebab-case flag. */
export const optionName = (flag: string): string => flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

export function configFromOptions(options: GlobalOptions): ControllerConfig {
  const overrides: Record<string, unknown> = {};
  for (const { key, flag, type } of CONFIG_FLAGS) {
    const value = options[optionName(flag)];
    if (value === undefined) continue;
    const parsed = parseFlagValue(type, value as string | boolean);
    // Paths on the command line are relative to where the command runs, not to the config file.
    overrides[key] = PATH_KEYS.has(key) && typeof parsed === 'string' ? path.resolve(parsed) : parsed;
  }
  return loadConfig({ file: options.config, overrides });
}

export interface CliContext {
  readonly config: ControllerConfig;
  readonly logger: Logger;
  readonly runtime: DockerRuntime | SwarmRuntime;
  readonly proxy: Proxy | undefined;
  readonly store: StateStore;
  /** Images this instance pulled or built (gc only ever deletes those). */
  readonly images: ImageBook;
}

export function buildContext(options: GlobalOptions, extra: { logLevel?: string } = {}): CliContext {
  const config = configFromOptions(options);
  const logger = createRootLogger({ level: (options.logLevel as string | undefined) ?? extra.logLevel });
  const images = new ImageBook(config.stateDir);
  const runtime = createRuntime(config, (image) => images.record(image).catch((error: unknown) => logger.warn({ err: error, image: image.ref }, 'cannot record a pulled image for gc')));
  const proxy = config.proxy.kind === 'none'
    ? undefined
    : new Proxy({
        instance: config.instance, vhostDir: config.proxy.vhostDir, testCommand: config.proxy.testCommand,
        reloadCommand: config.proxy.reloadCommand, logger: logger.child({ component: 'proxy' }),
        pendingReloadFile: path.join(config.stateDir, 'proxy-reload-pending'),
      });
  return { config, logger, runtime, proxy, store: new StateStore(config.stateDir), images };
}

/** Every controller honours the rollback pins in stateDir (apply and plan too, not only the daemon). */
export function buildController(context: CliContext, extra: Partial<ControllerDeps> = {}): Controller {
  const updates = new UpdateStore(context.config.stateDir, extra.readOnly ?? false);
  return new Controller({ config: context.config, runtime: context.runtime, proxy: context.proxy, store: context.store, logger: context.logger, updates, ...extra });
}
