// The slice of autocannon 9's programmatic API the bench uses (the package ships no types).
declare module 'autocannon' {
  export interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Called before every request it sends; returns the request to send. */
    setupRequest?: (request: Request, context: object) => Request;
  }
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    timeout?: number;
    headers?: Record<string, string>;
    requests?: Request[];
  }
  interface Result {
    non2xx: number;
    errors: number;
    timeouts: number;
    duration: number;
    requests: { total: number; average: number };
  }
  interface Client {
    setHeaders(headers: Record<string, string>): void;
  }
  interface Instance extends PromiseLike<Result> {
    on(event: 'response', cb: (client: Client, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
    on(event: 'reqError', cb: (err: Error) => void): this;
    stop(): void;
  }
  function autocannon(opts: Options): Instance;
  export default autocannon;
}
