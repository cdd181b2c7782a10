/**
 * The chunk cache's write queue: tasks run one at a time, in order, so the in-memory index always
 * matches what was written; and jobs that arrive while a task runs share one queued task (and so
 * one IndexedDB transaction), up to a batch's worth. Announcements a task raises are awaited by
 * that task's caller (so the SW stays alive for them), never by the queue.
 */

/** A serial task queue that batches jobs arriving while it is busy. */
export class BatchedWriter<Job> {
  private queue: Promise<unknown>;
  /** Announcements raised by the task running now; its caller awaits them. */
  private raised: Promise<void>[] = [];
  /** Jobs queued behind the running task, written together when their turn comes. */
  private batch: { jobs: Job[]; done: Promise<void> } | undefined;

  /**
   * @param start settles before the first task runs (the index loaded).
   * @param writeBatch writes a batch of jobs, as one queued task.
   * @param maxBatch jobs in one batch at most; a full batch makes the next job start another.
   */
  constructor(
    start: Promise<unknown>,
    private readonly writeBatch: (jobs: readonly Job[]) => Promise<unknown>,
    private readonly maxBatch: number,
  ) {
    this.queue = start;
  }

  /** Runs `task` after every task queued before it; settles (never rejects) once it and what it raised settled. */
  enqueue(task: () => Promise<unknown>): Promise<void> {
    const raised: Promise<void>[] = [];
    // Tasks run one at a time, so `this.raised` always belongs to the task running now.
    const body = async (): Promise<void> => {
      this.raised = raised;
      try {
        await task();
      } finally {
        this.raised = [];
      }
    };
    const run = this.queue.then(body, body).catch(() => undefined);
    this.queue = run;
    return run.then(() => Promise.all(raised)).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Queues a job: it joins the batch waiting behind the running task, or opens one; settles with its batch. */
  add(job: Job): Promise<void> {
    const open = this.batch;
    if (open && open.jobs.length < this.maxBatch) {
      open.jobs.push(job);
      return open.done;
    }
    const jobs: Job[] = [job];
    const batch = {
      jobs,
      done: this.enqueue(() => {
        // From here on, new jobs start a batch of their own.
        if (this.batch === batch) this.batch = undefined;
        return this.writeBatch(jobs);
      }),
    };
    this.batch = batch;
    return batch.done;
  }

  /** Called by the running task: its caller's promise waits for `announcement` too (a failure is swallowed). */
  raise(announcement: Promise<void>): void {
    this.raised.push(announcement.catch(() => undefined));
  }
}
