import type pg from "pg";

/** Something that runs queries: the pool, the transactor, or a client inside a transaction. Repositories take it. */
export type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;

/** The client of one open transaction, handed by `Transactor.run` to its work; pass it on to repositories. */
export type SqlTx = pg.PoolClient;

/**
 * The one way services reach PostgreSQL: `run` opens a transaction on one pooled
 * client (BEGIN, then COMMIT, or ROLLBACK when the work throws); `query` runs a
 * single statement outside any transaction. Services hold a Transactor, never the driver.
 */
export class Transactor {
  /** A single statement on the pool, outside any transaction. */
  readonly query: pg.Pool["query"];

  constructor(private readonly pool: pg.Pool) {
    this.query = pool.query.bind(pool) as pg.Pool["query"];
  }

  async run<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
