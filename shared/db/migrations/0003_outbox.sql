-- Domain events announced by PostgreSQL writes: a row is inserted in the same
-- transaction as the write, deleted once the event is enqueued, and
-- re-dispatched by the sweep when a process died in between.
CREATE TABLE outbox_events (
  id uuid PRIMARY KEY,
  name varchar(64) NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_outbox_events_created_at ON outbox_events (created_at);
