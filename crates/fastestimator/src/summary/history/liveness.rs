//! Runs whose process is gone: a run killed with SIGKILL never writes its end, so a later
//! connection on the same host marks it `Unfinished` instead of leaving it `Running` forever.

use rusqlite::Connection;

use super::RunStatus;

/// This machine's host name (empty when it cannot be read).
pub(crate) fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success
    // (and we stop at the first NUL or the end either way).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Whether a process with this id exists on this host.
fn process_alive(pid: i64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Mark this host's `Running` runs whose process no longer exists as `Unfinished`. Returns how
/// many were marked.
pub(crate) fn mark_unfinished(conn: &Connection) -> rusqlite::Result<usize> {
    let host = host_name();
    let mut stmt = conn.prepare("SELECT pk, pid FROM history WHERE status = ?1 AND host = ?2")?;
    let gone: Vec<i64> = stmt
        .query_map(rusqlite::params![RunStatus::Running.as_str(), host], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))?
        .filter_map(|row| row.ok())
        .filter(|&(_, pid): &(i64, Option<i64>)| !pid.is_some_and(process_alive))
        .map(|(pk, _)| pk)
        .collect();
    for pk in &gone {
        conn.execute(
            "UPDATE history SET status = ?1 WHERE pk = ?2 AND status = ?3",
            rusqlite::params![RunStatus::Unfinished.as_str(), pk, RunStatus::Running.as_str()],
        )?;
    }
    Ok(gone.len())
}
