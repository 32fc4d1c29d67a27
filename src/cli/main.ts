#!/usr/bin/env node
/**
 * amahictl: the command line (DESIGN.md §5). commander parses; each command is a small function over
 * the controller's parts. Exit codes: 0 success, 1 a reported failure (invalid spec, not converged),
 * 2 a usage or configuration error.
 */
import { Command, Option } from 'commander';
import { CONFIG_FLAGS, DEFAULT_CONFIG_FILE } from '../config.js';
import { AmahiError } from '../errors.js';
import type { GlobalOptions } from './context.js';
import type { LogsOptions } from './logs.js';
import type { ImportCommandOptions } from './import.js';
import type { ProxyInitOptions } from './proxy-init.js';

// Commands are imported when they run: `validate` or `--help` need not load dockerode, the proxy and
// the controller (it halves the start-up time of a command).
const commands = () => import('./commands.js');

const program = new Command();
program
  .name('amahictl')
  .description('Amahi App Controller: YAML app specs in a directory become containers behind reverse-proxy virtual hosts, and stay that way.')
  .option('-c, --config <file>', `controller config file (default ${DEFAULT_CONFIG_FILE} when it exists)`)
  .option('--log-level <level>', 'trace, debug, info, warn, error or silent')
  .showHelpAfterError();

for (const { key, flag, type } of CONFIG_FLAGS) {
  const option = type === 'bool'
    ? new Option(`--${flag} [bool]`, `config ${key}`).argParser((value) => value ?? 'true')
    : new Option(`--${flag} <value>`, `config ${key}${type === 'list' ? ' (comma-separated)' : type === 'argv' ? ' (JSON array or words)' : ''}`);
  program.addOption(option.hideHelp(!['specs-dir', 'state-dir', 'data-root', 'domain', 'instance', 'proxy-kind', 'vhost-dir'].includes(flag)));
}

const globals = (): GlobalOptions => program.opts<GlobalOptions>();
const outputOption = () => new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');

program.command('run').description('the daemon: watch the specs, reconcile, serve the API, until SIGTERM').action(async () => {
  process.exitCode = await (await commands()).runCommand(globals());
});

program
  .command('apply')
  .description('one full pass; exit 0 when every app converged')
  .option('--once', 'one pass and exit (the default; kept for scripts)', true)
  .option('--timeout <duration>', 'how long to wait for apps to converge', '2m')
  .addOption(outputOption())
  .action(async (options: { timeout: string; output: string }) => {
    process.exitCode = await (await commands()).applyCommand(globals(), options);
  });

program
  .command('plan [app]')
  .description('print what a pass would change, changing nothing')
  .addOption(outputOption())
  .action(async (app: string | undefined, options: { output: string }) => {
    process.exitCode = await (await commands()).planCommand(globals(), app, options);
  });

program
  .command('validate [files...]')
  .description('validate spec files (default: the whole specs directory)')
  .addOption(outputOption())
  .action(async (files: string[], options: { output: string }) => {
    process.exitCode = await (await import('./validate.js')).validateCommand(globals(), files, options);
  });

program
  .command('import <file>')
  .description('convert a docker-compose file or an Amahi install script into an app spec; the report goes to stderr')
  .option('-o, --output <file|dir|json>', 'write the spec to a file, or to <dir>/<app>.yaml; json: spec and report as JSON on stdout (default: the spec on stdout)')
  .option('--name <name>', 'app name (default: from the file)')
  .option('--env-file <file>', 'variables for ${VAR} interpolation (repeatable; default: .env next to the file)', (value: string, list: string[] = []) => [...list, value])
  .option('--id <id>', 'pin the app id (the web host port is basePort + id)')
  .option('--web-container <key>', 'the container that serves HTTP')
  .option('--web-port <port>', 'the container port that serves HTTP')
  .option('--force', 'replace an existing output file')
  .action(async (file: string, options: ImportCommandOptions) => {
    process.exitCode = await (await import('./import.js')).importCommand(globals(), file, options);
  });

program
  .command('purge <app>')
  .description("delete the kept data of an uninstalled app: <dataRoot>/<app>/ and its named volumes")
  .option('--yes', 'do not ask for confirmation')
  .action(async (app: string, options: { yes?: boolean }) => {
    process.exitCode = await (await import('./purge.js')).purgeCommand(globals(), app, options);
  });

program
  .command('get [app]')
  .description('status of every app (or one)')
  .addOption(outputOption())
  .action(async (app: string | undefined, options: { output: string }) => {
    process.exitCode = await (await commands()).getCommand(globals(), app, options);
  });

program
  .command('describe <app>')
  .description('one app in detail: conditions, containers, the pending plan, recent events')
  .addOption(outputOption())
  .action(async (app: string, options: { output: string }) => {
    process.exitCode = await (await commands()).describeCommand(globals(), app, options);
  });

program
  .command('logs <app> [container]')
  .description('logs of an app\'s containers (all of them, prefixed, unless one is named)')
  .option('-f, --follow', 'keep streaming new lines')
  .option('--since <when>', 'only lines newer than a duration (10m) or a timestamp (RFC 3339)')
  .option('--tail <lines>', 'only the last N lines (or "all")')
  .option('-t, --timestamps', 'prefix each line with its timestamp')
  .action(async (app: string, container: string | undefined, options: LogsOptions) => {
    process.exitCode = await (await import('./logs.js')).logsCommand(globals(), app, container, options);
  });

program
  .command('update <app>')
  .description('pull newer images of an app, recreate what changed, roll back when the new version is not healthy')
  .addOption(outputOption())
  .action(async (app: string, options: { output: string }) => {
    process.exitCode = await (await import('./day2.js')).updateCommand(globals(), app, options);
  });

program
  .command('gc')
  .description('remove images this instance pulled or built that nothing needs and that were unused for gc.keepFor (dry run unless --yes)')
  .option('--yes', 'remove them (default: only print what would be removed and the bytes it frees)')
  .addOption(outputOption())
  .action(async (options: { yes?: boolean; output: string }) => {
    process.exitCode = await (await import('./day2.js')).gcCommand(globals(), options);
  });

program
  .command('proxy-init')
  .description('write the config of a private Apache or nginx instance on a loopback port')
  .addOption(new Option('--kind <kind>', 'proxy').choices(['apache', 'nginx']).default('apache'))
  .requiredOption('--dir <dir>', 'directory of the instance (config, run/, logs/, sites/)')
  .option('--port <port>', 'port to listen on', '8080')
  .option('--listen <address>', 'address to listen on', '127.0.0.1')
  .action(async (options: ProxyInitOptions) => {
    process.exitCode = await (await import('./proxy-init.js')).proxyInitCommand(options);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = error instanceof AmahiError ? `${error.code}: ${error.message}` : (error as Error).message;
  process.stderr.write(`amahictl: ${message}\n`);
  process.exitCode = error instanceof AmahiError && error.code === 'E_CONFIG_INVALID' ? 2 : 1;
}
