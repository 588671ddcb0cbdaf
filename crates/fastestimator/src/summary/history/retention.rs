//! FE's retention: keep the newest `n_keep` runs and the logs of the newest `n_keep_logs`.

use rusqlite::{params, Connection, OptionalExtension};

/// The retention settings (the `settings` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistorySettings {
    /// How many runs are kept (older ones are deleted with their rows).
    pub n_keep: u64,
    /// How many runs keep their captured log (at most `n_keep`).
    pub n_keep_logs: u64,
}

/// The current settings.
pub(crate) fn read_settings(conn: &Connection) -> rusqlite::Result<HistorySettings> {
    let row: Option<(i64, i64)> = conn
        .query_row("SELECT n_keep, n_keep_logs FROM settings WHERE pk = 0", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (keep, logs) = row.unwrap_or((500, 500));
    Ok(HistorySettings { n_keep: keep.max(0) as u64, n_keep_logs: logs.max(0) as u64 })
}

/// Change the settings (FE's `update_settings`): `n_keep_logs` never exceeds `n_keep`.
pub(crate) fn update_settings(
    conn: &Connection,
    n_keep: Option<u64>,
    n_keep_logs: Option<u64>,
) -> rusqlite::Result<HistorySettings> {
    let current = read_settings(conn)?;
    let keep = n_keep.unwrap_or(current.n_keep);
    let logs = n_keep_logs.unwrap_or(current.n_keep_logs).min(keep);
    conn.execute(
        "UPDATE settings SET n_keep = ?1, n_keep_logs = ?2 WHERE pk = 0",
        params![clamp_i64(keep), clamp_i64(logs)],
    )?;
    read_settings(conn)
}

fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Delete every run but the newest `n_keep` (with their rows); returns how many were deleted.
pub(crate) fn keep_newest(conn: &Connection, n_keep: u64) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM history WHERE pk NOT IN (SELECT pk FROM history ORDER BY pk DESC LIMIT ?1)",
        [clamp_i64(n_keep)],
    )
}

/// Apply the settings: old runs go, then old logs; then let SQLite tidy its statistics.
pub(crate) fn apply_limits(conn: &Connection) -> rusqlite::Result<()> {
    let settings = read_settings(conn)?;
    keep_newest(conn, settings.n_keep)?;
    conn.execute(
        "DELETE FROM logs WHERE fk NOT IN (SELECT pk FROM history ORDER BY pk DESC LIMIT ?1)",
        [clamp_i64(settings.n_keep_logs)],
    )?;
    conn.execute_batch("PRAGMA optimize;")
}
