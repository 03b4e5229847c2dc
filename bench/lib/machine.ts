import os from 'node:os';

export interface Machine {
  cores: number;
  memory_gb: number;
  node: string;
  postgres: string;
}

/** The box the numbers came from; Postgres's memory setting travels with its version. */
export function machineFacts(postgresVersion: string, sharedBuffers: string, hugePages: string): Machine {
  return {
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres: `PostgreSQL ${postgresVersion} (shared_buffers ${sharedBuffers}, huge pages ${hugePages})`,
  };
}
