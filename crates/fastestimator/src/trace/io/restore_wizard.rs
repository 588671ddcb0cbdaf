//! `RestoreWizard`: checkpoint the whole run, and continue exactly where a killed run stopped.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{FeError, Result};
use crate::model::Model;
use crate::op::{impl_has_io, OpIo};
use crate::trace::Trace;

/// Saves the complete state of a run every `frequency` epochs, alternating between the folders
/// `<directory>/A` and `<directory>/B`, and records the last complete one in `key.txt`, which is
/// replaced atomically only after every file of the save is on disk. A crash at any point leaves
/// the previous save intact. When the run starts and a save exists, the Estimator restores model
/// weights, optimizer states, every trace's state, the epoch, the global step, the seeds and the
/// history, then continues with the next epoch: the final weights and the logged metrics are
/// the same as those of an uninterrupted run (bit for bit on CPU).
///
/// Give it to the Estimator among the other traces; the Estimator finds it by its type. The
/// wizard stores the files; what the run's state holds is the Estimator's business.
///
/// Unlike FE, this works together with `fe::enable_deterministic`; that is the point.
pub struct RestoreWizard {
    io: OpIo,
    directory: PathBuf,
    frequency: usize,
}
impl_has_io!(RestoreWizard);

const KEY_FILE: &str = "key.txt";
/// Test hook, `"<save>:<files>"`: during the `<save>`-th save of this process, after `<files>`
/// files, the process kills itself with SIGKILL (simulates a crash in the middle of a save).
const CRASH_ENV: &str = "FE_RESTORE_WIZARD_CRASH";
static SAVES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl RestoreWizard {
    /// Checkpoint into `directory` every `frequency` (≥ 1) epochs.
    pub fn new(directory: impl AsRef<Path>, frequency: usize) -> Result<Self> {
        if frequency == 0 {
            return Err(FeError::param("RestoreWizard", "frequency", "must be at least 1"));
        }
        Ok(RestoreWizard {
            io: OpIo::new("*", ()).with_default_mode("train"),
            directory: directory.as_ref().to_path_buf(),
            frequency,
        })
    }

    /// The checkpoint folder.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// Whether the run is saved after `epoch` (every `frequency` epochs).
    pub(crate) fn should_save(&self, epoch: usize) -> bool {
        epoch.is_multiple_of(self.frequency)
    }

    /// The folder of the last complete save, if any.
    pub fn latest(&self) -> Result<Option<PathBuf>> {
        let key = self.directory.join(KEY_FILE);
        match fs::read_to_string(&key) {
            Ok(s) => {
                let name = s.trim();
                if name != "A" && name != "B" {
                    return Err(FeError::Format { path: key, reason: format!("expected 'A' or 'B', found {name:?}") });
                }
                Ok(Some(self.directory.join(name)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FeError::io("cannot read", key, e)),
        }
    }

    /// Write a complete save of the models and the run's `state` (as `system.json`): the folder
    /// not named in `key.txt` is refilled, synced, and only then does `key.txt` switch to it.
    pub(crate) fn save(&self, state: &impl Serialize, models: &[Model]) -> Result<PathBuf> {
        let current = self.latest()?;
        let name = match current.as_ref().and_then(|p| p.file_name()).and_then(|n| n.to_str()) {
            Some("A") => "B",
            _ => "A",
        };
        let dir = self.directory.join(name);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| FeError::io("cannot clear", &dir, e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| FeError::io("RestoreWizard: cannot create", &dir, e))?;
        let save_number = SAVES.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let crash_after: Option<usize> = std::env::var(CRASH_ENV).ok().and_then(|v| {
            let (save, files) = v.split_once(':')?;
            (save.parse::<usize>().ok()? == save_number).then(|| files.parse().ok()).flatten()
        });
        let mut written = 0usize;
        let mut wrote = || {
            written += 1;
            if crash_after == Some(written) {
                // SAFETY: raising a signal on our own process; used only by the crash tests.
                unsafe {
                    libc::raise(libc::SIGKILL);
                }
            }
        };
        for m in models {
            m.save_weights(&dir.join(format!("{}.safetensors", m.name())))?;
            wrote();
            if m.has_optimizer() {
                m.save_optimizer(&dir.join(format!("{}_opt.safetensors", m.name())))?;
                wrote();
            }
        }
        let json = serde_json::to_vec(state)
            .map_err(|e| FeError::State { owner: "RestoreWizard".into(), reason: e.to_string() })?;
        write_synced(&dir.join("system.json"), &json)?;
        wrote();
        sync_dir(&dir)?;
        let tmp = self.directory.join(".key.txt.tmp");
        write_synced(&tmp, name.as_bytes())?;
        fs::rename(&tmp, self.directory.join(KEY_FILE))
            .map_err(|e| FeError::io("cannot rename into", self.directory.join(KEY_FILE), e))?;
        sync_dir(&self.directory)?;
        Ok(dir)
    }

    /// The run's state from the last complete save (its `system.json`) and the save's folder,
    /// or `None` when there is no save yet.
    pub(crate) fn read_state<S: DeserializeOwned>(&self) -> Result<Option<(S, PathBuf)>> {
        let Some(dir) = self.latest()? else { return Ok(None) };
        let path = dir.join("system.json");
        let bytes = fs::read(&path).map_err(|e| FeError::io("cannot read", &path, e))?;
        let state = serde_json::from_slice(&bytes).map_err(|e| FeError::Format { path, reason: e.to_string() })?;
        Ok(Some((state, dir)))
    }

    /// Load the weights (and optimizer states) of `models` from the save in `dir`.
    pub(crate) fn load_models(dir: &Path, models: &[Model]) -> Result<()> {
        for m in models {
            m.load_weights(&dir.join(format!("{}.safetensors", m.name())))?;
            if m.has_optimizer() {
                m.load_optimizer(&dir.join(format!("{}_opt.safetensors", m.name())))?;
            }
        }
        Ok(())
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = fs::File::create(path).map_err(|e| FeError::io("cannot write", path, e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| FeError::io("cannot write", path, e))
}

fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir).and_then(|f| f.sync_all()).map_err(|e| FeError::io("cannot sync", dir, e))
}

impl Trace for RestoreWizard {
    fn name(&self) -> String {
        "RestoreWizard".into()
    }

    fn bind(&mut self, _network: &crate::network::Network) -> Result<()> {
        fs::create_dir_all(&self.directory)
            .map_err(|e| FeError::io("RestoreWizard: cannot create", &self.directory, e))?;
        tempfile::tempfile_in(&self.directory)
            .map_err(|e| FeError::io("RestoreWizard: cannot write into", &self.directory, e))?;
        Ok(())
    }
}
