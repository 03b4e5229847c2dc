// npm run db:migrate — applies migrations/ to DATABASE_URL or the embedded Postgres.
import { ensurePostgres, migrateDatabase } from './lib/postgres';

const pg = await ensurePostgres();
try {
  await migrateDatabase(pg.url);
  console.log(`migrated ${pg.url.replace(/:[^:@/]+@/, ':***@')}`);
} finally {
  await pg.stop();
}
