/** Crash safety, second half: see crash.test.ts. */
import { crashTest } from '../helpers/crash-run.js';

crashTest(2);
