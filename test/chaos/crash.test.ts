/**
 * Crash safety, first half: the controller is SIGKILLed at random points while it converges 10 apps
 * (during creates, recreates, vhost writes, the batched reload and uninstalls, and at random times),
 * and after every restart it converges to exactly the specs with nothing duplicated, orphaned, half
 * updated or lost (test/helpers/crash-run.ts). The second half (crash-more.test.ts) runs beside it on
 * an instance of its own, so that 30 kills fit the suite's time. AMAHI_CHAOS_SEED replays a run;
 * AMAHI_CHAOS_KILLS sets the number of kills per half.
 */
import { crashTest } from '../helpers/crash-run.js';

crashTest(1);
