// Faults a test asks a stand-in to produce on its next requests, consumed one per request in order.
export type Fault =
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'rate-limit'; readonly retryAfterSeconds: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'slow'; readonly ms: number }
  | { readonly kind: 'malformed' };

export class FaultQueue {
  private readonly queue: Fault[] = [];

  push(fault: Fault, times: number): void {
    for (let i = 0; i < times; i++) this.queue.push(fault);
  }

  next(): Fault | undefined {
    return this.queue.shift();
  }

  clear(): void {
    this.queue.length = 0;
  }
}

/** What a stand-in received, for assertions (e.g. that no unauthorised enterprise was asked about). */
export interface RecordedCall {
  readonly api: string;
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The enterprise a per-enterprise call was about. */
  readonly uscc?: string;
  /** The status answered; 0 while (or if never) answered. */
  status: number;
  readonly at: string;
}

export class CallLog {
  private readonly calls: RecordedCall[] = [];
  record(c: RecordedCall): RecordedCall {
    this.calls.push(c);
    return c;
  }
  list(api?: string): readonly RecordedCall[] {
    return api === undefined ? [...this.calls] : this.calls.filter((c) => c.api === api);
  }
  clear(): void {
    this.calls.length = 0;
  }
}
