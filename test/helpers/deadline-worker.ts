// Runs synchronous code under test in a worker thread with a deadline, for the fuzz tests: a parser
// that loops on some input would freeze a test running it inline; here the worker is ended at the
// deadline and the call answers { timedOut: true }, so the run fails as a hang instead.
import { Worker } from 'node:worker_threads';

/** What every answer carries; the worker's code adds its own fields. */
export interface DeadlineOutcome {
  ok: boolean;
  ms: number;
  timedOut?: boolean;
}

/**
 * One worker, started on first use and again after a deadline ended it. A deadline counts from
 * when the worker is ready: its start (loading the code under test, ~0.5 s on a busy machine) is
 * not the parser's time.
 * @param code CommonJS source of the worker: it posts `{ ready: true }` once its imports are loaded,
 *   then answers each `{ id, ...request }` message with `{ id, ok, ms, ...fields }` on `parentPort`
 *   (workerData is passed through).
 */
export class DeadlineWorker<Request extends object, Outcome extends DeadlineOutcome> {
  #worker: { thread: Worker; ready: Promise<void> } | undefined;
  #next = 0;
  readonly #waiting = new Map<number, (o: Outcome) => void>();

  constructor(
    private readonly code: string,
    private readonly workerData: Record<string, unknown>,
  ) {}

  async run(request: Request, deadlineMs: number): Promise<Outcome> {
    const current = (this.#worker ??= this.#start());
    await current.ready;
    const worker = current.thread;
    const id = this.#next++;
    const started = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        void worker.terminate();
        if (this.#worker === current) this.#worker = undefined;
        resolve({ ok: false, timedOut: true, ms: performance.now() - started } as Outcome);
      }, deadlineMs);
      this.#waiting.set(id, (o) => {
        clearTimeout(timer);
        resolve(o);
      });
      worker.postMessage({ id, ...request });
    });
  }

  async stop(): Promise<void> {
    await this.#worker?.thread.terminate();
  }

  #start(): { thread: Worker; ready: Promise<void> } {
    const thread = new Worker(this.code, { eval: true, workerData: this.workerData });
    let markReady!: () => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      thread.once('error', reject);
    });
    thread.on('message', (o: (Outcome & { id: number }) | { ready: true }) => {
      if ('ready' in o) {
        thread.unref(); // idle from now on: it must not keep the test process alive
        return markReady();
      }
      this.#waiting.get(o.id)?.(o);
      this.#waiting.delete(o.id);
    });
    return { thread, ready };
  }
}
