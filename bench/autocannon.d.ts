// The part of autocannon's programmatic API the query benchmark uses (the package ships no types).
declare module 'autocannon' {
  interface Histogram { average: number; mean: number; stddev: number; min: number; max: number; total: number; p50: number; p90: number; p97_5: number; p99: number; p99_9: number }
  interface Request { method?: string; path?: string; headers?: Record<string, string>; setupRequest?: (req: Request, context: unknown) => Request }
  interface Options {
    url: string; connections?: number; duration?: number; pipelining?: number; timeout?: number;
    headers?: Record<string, string>; requests?: Request[];
  }
  interface Result {
    latency: Histogram; requests: Histogram; throughput: Histogram;
    errors: number; timeouts: number; non2xx: number; duration: number; '2xx': number;
  }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
