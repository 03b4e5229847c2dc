// node-postgres modules the wire client (src/db/wire.ts) reuses, so that values are sent and
// SCRAM is done exactly as pg does them. They ship in pg's package exports ("./lib/*") but
// without types.
declare module 'pg/lib/utils' {
  export function prepareValue(value: unknown): string | Buffer | null;
}
declare module 'pg/lib/crypto/sasl' {
  interface Session {
    mechanism: string;
    response: string;
  }
  const sasl: {
    startSession(mechanisms: string[], stream: unknown): Session;
    continueSession(session: Session, password: string, serverData: string, stream: unknown): Promise<void>;
    finalizeSession(session: Session, serverData: string): void;
  };
  export default sasl;
}
