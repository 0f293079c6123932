/**
 * The `runnel` command line (Flink's `flink` verbs and flags) on commander. `runCli` parses,
 * runs one verb and maps every failure to one line and an exit code: 2 for bad usage, 1 for a
 * failed command. It never exits the process itself, so tests run it in-process.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/index.js';
import { collectDynamicProperty, parseHostPort, parseJobId, parseParallelism } from './args.js';
import { cancelJob, listJobs, stopJob, triggerSavepoint, type ListOptions, type StopOptions, type ClusterVerbOptions } from './commands/jobs.js';
import type { ProcessVerbOptions } from './commands/processes.js';
import { runJob, showJobPlan, type InfoOptions, type RunOptions } from './commands/run.js';
import { println, type CliIO } from './context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from './errors.js';
import { RUNNEL_VERSION } from './version.js';

/** How a CLI run ended: with an exit code, or with a cluster process now serving. */
export type CliOutcome = { readonly kind: 'exit'; readonly code: number } | { readonly kind: 'serving' };

/** Carries a commander exit (help, version, parse error) out of parseAsync with its command. */
class CommanderExit extends Error {
  constructor(
    readonly error: CommanderError,
    readonly command: string,
  ) {
    super(error.message);
  }
}

const CONFIG_HELP = `
Configuration comes from config.yaml in the folder named by RUNNEL_CONF_DIR (default: the
installation's conf/); -D key=value on any command overrides it.`;

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n${CONFIG_HELP}`;
}

function dynamicPropertiesOption(): Option {
  return new Option('-D <key=value>', 'set a configuration option, overriding config.yaml (repeatable)').argParser(
    collectDynamicProperty,
  );
}

function jobManagerOption(): Option {
  return new Option(
    '-m, --jobmanager <host:port>',
    "the JobManager's REST endpoint (default: rest.address, else jobmanager.rpc.address, and rest.port)",
  ).argParser(parseHostPort);
}

/** Commander messages reworded where a better one is known; suggestions kept on the same line. */
function usageMessage(error: CommanderError): string {
  let message = error.message.replace(/^error: /, '').replace(/\n\(Did you mean (.+)\?\)$/, "; did you mean '$1'?");
  const missing = /^missing required argument '(.+)'$/.exec(message);
  if (missing?.[1] === 'JOB') {
    message = "missing the job file: give the path of the job's .ts or .js module, e.g. runnel run examples/wordcount.ts";
  } else if (missing?.[1] === 'jobId') {
    message = "missing the job id: give the 32-character id that 'runnel list' prints";
  }
  return /[.?!)]$/.test(message) ? message : `${message}.`;
}

/**
 * A cluster process's BindError or PortInUseError, known by name: the process modules (the
 * actor system, ZeroMQ) load only for the verbs that start a process, which keeps the client
 * verbs quick to start.
 */
function isBindError(err: unknown): err is Error {
  return err instanceof Error && (err.name === 'BindError' || err.name === 'PortInUseError');
}

/** Prints what went wrong and returns the exit code. */
function report(err: unknown, activeCommand: string, io: CliIO): number {
  if (err instanceof CommanderExit) {
    const { error, command } = err;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    if (error.code === 'commander.help') {
      // No verb given: commander has printed the help to standard error.
      println(io.stderr, `${command}: give a command, e.g. 'runnel list'. See '${command} --help'.`);
      return EXIT_USAGE;
    }
    println(io.stderr, `${command}: ${usageMessage(error)} See '${command} --help'.`);
    return EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    println(io.stderr, `${activeCommand}: ${err.message} See '${activeCommand} --help'.`);
    return EXIT_USAGE;
  }
  if (err instanceof CliError || err instanceof ConfigError || isBindError(err)) {
    println(io.stderr, err.message);
    return EXIT_FAILURE;
  }
  // A bug, not a user error: keep the stack for the report.
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  println(io.stderr, `${activeCommand}: internal error, please report it: ${detail}`);
  return EXIT_FAILURE;
}

/** What one CLI run learns while commander parses: the verb being parsed and how it ended. */
interface Session {
  /** `runnel <verb>`, for messages; `runnel` until a verb is recognised. */
  active: string;
  outcome: CliOutcome;
}

/** Parses `argv` (without node and script), runs the verb, and says how it ended. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<CliOutcome> {
  const session: Session = { active: 'runnel', outcome: { kind: 'exit', code: 0 } };
  try {
    await buildProgram(io, session).parseAsync([...argv], { from: 'user' });
    return session.outcome;
  } catch (err) {
    return { kind: 'exit', code: report(err, session.active, io) };
  }
}

/** The commander program with every verb; actions record their outcome in `session`. */
function buildProgram(io: CliIO, session: Session): Command {
  const finish = (code: number): void => {
    session.outcome = { kind: 'exit', code };
  };

  const configure = (cmd: Command, path: string): Command =>
    cmd
      .helpOption('-h, --help', 'show this help')
      .exitOverride((error) => {
        throw new CommanderExit(error, path);
      })
      .configureOutput({
        writeOut: io.stdout,
        writeErr: io.stderr,
        // Errors are printed by report(), as one line with a pointer to --help.
        outputError: () => {},
      })
      .showSuggestionAfterError(true)
      .allowExcessArguments(false);

  const program = configure(new Command('runnel'), 'runnel')
    .description('Runnel: a distributed, stateful stream processor for Node.js, with the command line of Apache Flink.')
    .usage('<command> [options]')
    .version(`Version: ${RUNNEL_VERSION}`, '-v, --version', 'print the version')
    .enablePositionalOptions()
    .helpCommand(false)
    .addHelpText('after', `\nRun 'runnel <command> --help' for a command's options.\n${CONFIG_HELP}`)
    .hook('preSubcommand', (_root, sub) => {
      session.active = `runnel ${sub.name()}`;
    });

  const verb = (name: string): Command => {
    const cmd = configure(new Command(name), `runnel ${name}`);
    program.addCommand(cmd);
    return cmd;
  };

  const run = verb('run')
    .summary('run a job file on the cluster')
    .description('Run a job file (.ts or .js) on the cluster; without -d, wait for it to finish.')
    .argument('<JOB>', "the job's .ts or .js module")
    .argument('[args...]', 'arguments for the job, passed untouched (options after JOB belong to the job)')
    .option('-d, --detached', 'return once the job is submitted instead of waiting for it to finish')
    .addOption(new Option('-p, --parallelism <N>', 'default parallelism of the job (overrides parallelism.default)').argParser(parseParallelism))
    .option('-s, --fromSavepoint <PATH>', "savepoint or retained checkpoint to restore the job's state from")
    .option('-n, --allowNonRestoredState', 'allow state in the savepoint that maps to no operator of the job')
    .addOption(jobManagerOption())
    .addOption(dynamicPropertiesOption())
    .passThroughOptions()
    .addHelpText(
      'after',
      examples(
        'runnel run examples/wordcount.ts --input README.md',
        'runnel run -d -p 4 -D execution.checkpointing.interval=10s examples/sequence-check.ts --keys 10 --events-per-key 1000 --output /tmp/out',
        'runnel run -s /tmp/runnel-savepoints/savepoint-3f2a1b-2d5e7c9a0b1f -n examples/wordcount.ts',
      ),
    )
    .action(async () => {
      const [job, ...args] = run.args;
      finish(await runJob(io, job ?? '', args, run.opts<RunOptions>()));
    });

  const list = verb('list')
    .summary("list the cluster's jobs")
    .description('List the jobs of the cluster: running and scheduled ones, or those chosen by the options.')
    .option('-r, --running', 'show only running and restarting jobs')
    .option('-s, --scheduled', 'show only scheduled jobs')
    .option('-a, --all', 'show all jobs, finished, cancelled and failed ones included')
    .addOption(jobManagerOption())
    .addOption(dynamicPropertiesOption())
    .addHelpText('after', examples('runnel list', 'runnel list -a -m jobmanager-host:8081'))
    .action(async () => finish(await listJobs(io, list.opts<ListOptions>())));

  const cancel = verb('cancel')
    .summary('cancel a running job')
    .description('Cancel a running job.')
    .argument('<jobId>', "the job's id, as 'runnel list' prints it (32 lower-case hex characters)")
    .addOption(jobManagerOption())
    .addOption(dynamicPropertiesOption())
    .addHelpText('after', examples('runnel cancel 5e20cb6b0f357591171dfcca2eea09de'))
    .action(async () => finish(await cancelJob(io, parseJobId(cancel.args[0] ?? ''), cancel.opts<ClusterVerbOptions>())));

  const savepoint = verb('savepoint')
    .summary('trigger a savepoint of a running job')
    .description('Trigger a savepoint of a running job and print its path once it is complete.')
    .argument('<jobId>', "the job's id, as 'runnel list' prints it")
    .argument('[targetDirectory]', 'where to write the savepoint (default: execution.checkpointing.savepoint-dir)')
    .addOption(jobManagerOption())
    .addOption(dynamicPropertiesOption())
    .addHelpText(
      'after',
      examples('runnel savepoint 5e20cb6b0f357591171dfcca2eea09de', 'runnel savepoint 5e20cb6b0f357591171dfcca2eea09de /tmp/runnel-savepoints'),
    )
    .action(async () => {
      const [jobId, targetDirectory] = savepoint.args;
      finish(await triggerSavepoint(io, parseJobId(jobId ?? ''), targetDirectory, savepoint.opts<ClusterVerbOptions>()));
    });

  const stop = verb('stop')
    .summary('stop a running job with a savepoint')
    .description("Stop a running job with a savepoint: sources stop, a final savepoint is taken, the job finishes.")
    .argument('<jobId>', "the job's id, as 'runnel list' prints it")
    .option('-p, --savepointPath <DIR>', 'where to write the savepoint (default: execution.checkpointing.savepoint-dir)')
    .option('-d, --drain', 'advance event time to the end first, firing every timer and window (for a job that will not resume)')
    .addOption(jobManagerOption())
    .addOption(dynamicPropertiesOption())
    .addHelpText(
      'after',
      examples(
        'runnel stop --savepointPath /tmp/runnel-savepoints 5e20cb6b0f357591171dfcca2eea09de',
        'runnel stop --drain 5e20cb6b0f357591171dfcca2eea09de',
      ),
    )
    .action(async () => finish(await stopJob(io, parseJobId(stop.args[0] ?? ''), stop.opts<StopOptions>())));

  const info = verb('info')
    .summary("print a job file's plan as JSON")
    .description("Print the plan of a job file as JSON (its operators and how they connect), without running it.")
    .argument('<JOB>', "the job's .ts or .js module")
    .argument('[args...]', 'arguments for the job, passed untouched')
    .addOption(new Option('-p, --parallelism <N>', 'default parallelism of the job').argParser(parseParallelism))
    .addOption(dynamicPropertiesOption())
    .passThroughOptions()
    .addHelpText('after', examples('runnel info examples/wordcount.ts --input README.md'))
    .action(async () => {
      const [job, ...args] = info.args;
      finish(await showJobPlan(io, job ?? '', args, info.opts<InfoOptions>()));
    });

  const processVerb = (kind: 'jobmanager' | 'taskmanager', description: string, example: string): void => {
    const cmd = verb(kind)
      .summary(`run a ${kind === 'jobmanager' ? 'JobManager' : 'TaskManager'} in the foreground`)
      .description(description)
      .addOption(dynamicPropertiesOption())
      .addHelpText('after', examples(example))
      .action(async () => {
        const { runClusterProcess } = await import('./commands/processes.js');
        await runClusterProcess(io, kind, cmd.opts<ProcessVerbOptions>());
        session.outcome = { kind: 'serving' };
      });
  };
  processVerb(
    'jobmanager',
    'Run a JobManager in the foreground until SIGTERM or Ctrl-C (what scripts/jobmanager.sh starts).',
    'runnel jobmanager -D jobmanager.rpc.address=10.0.0.1 -D rest.port=8081',
  );
  processVerb(
    'taskmanager',
    'Run a TaskManager in the foreground until SIGTERM or Ctrl-C; it registers with jobmanager.rpc.address.',
    'runnel taskmanager -D jobmanager.rpc.address=10.0.0.1 -D taskmanager.numberOfTaskSlots=4',
  );

  return program;
}
