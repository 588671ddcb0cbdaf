//! [`DistributedEnv`]: this process's place in a distributed job, from the launcher's
//! environment variables.

use crate::error::{FeError, Result};

/// Where this process sits in a distributed job (torchrun's variables). A process started
/// without a launcher is rank 0 of a world of 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributedEnv {
    /// The global rank, 0-based (`RANK`).
    pub rank: usize,
    /// The rank on this node (`LOCAL_RANK`): the GPU this process uses.
    pub local_rank: usize,
    /// Processes in the whole job (`WORLD_SIZE`).
    pub world_size: usize,
    /// Processes on this node (`LOCAL_WORLD_SIZE`).
    pub local_world_size: usize,
    /// This node's index (`GROUP_RANK`).
    pub node_rank: usize,
    /// The address of rank 0's rendezvous (`MASTER_ADDR`).
    pub master_addr: String,
    /// Its port (`MASTER_PORT`).
    pub master_port: u16,
    /// Whether the launcher's agent hosts the rendezvous store (torchrun sets
    /// `TORCHELASTIC_USE_AGENT_STORE=True`): then every rank connects as a client. Otherwise
    /// rank 0 hosts it.
    pub agent_store: bool,
}

impl Default for DistributedEnv {
    fn default() -> Self {
        DistributedEnv {
            rank: 0,
            local_rank: 0,
            world_size: 1,
            local_world_size: 1,
            node_rank: 0,
            master_addr: "127.0.0.1".into(),
            master_port: 29500,
            agent_store: false,
        }
    }
}

impl DistributedEnv {
    /// Read the process's place from the environment. Without `WORLD_SIZE` the process runs
    /// alone (rank 0 of 1). A variable that is not a number, or a rank outside the world, is a
    /// [`FeError::DistributedEnv`] naming it.
    pub fn from_env() -> Result<DistributedEnv> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// [`DistributedEnv::from_env`] over any source of variables (a test's map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<DistributedEnv> {
        let defaults = DistributedEnv::default();
        if lookup("WORLD_SIZE").is_none() {
            return Ok(defaults);
        }
        let number = |var: &str, default: usize| -> Result<usize> {
            match lookup(var) {
                None => Ok(default),
                Some(value) => value.trim().parse::<usize>().map_err(|_| FeError::DistributedEnv {
                    var: var.into(),
                    value: value.clone(),
                    reason: "is not a whole number".into(),
                }),
            }
        };
        let world_size = number("WORLD_SIZE", 1)?;
        let rank = number("RANK", 0)?;
        let local_world_size = number("LOCAL_WORLD_SIZE", world_size)?;
        let local_rank = number("LOCAL_RANK", rank)?;
        let node_rank = number("GROUP_RANK", 0)?;
        let port = number("MASTER_PORT", defaults.master_port as usize)?;
        let env = DistributedEnv {
            rank,
            local_rank,
            world_size,
            local_world_size,
            node_rank,
            master_addr: lookup("MASTER_ADDR").unwrap_or(defaults.master_addr),
            master_port: u16::try_from(port).map_err(|_| FeError::DistributedEnv {
                var: "MASTER_PORT".into(),
                value: port.to_string(),
                reason: "is not a port (0 to 65535)".into(),
            })?,
            agent_store: lookup("TORCHELASTIC_USE_AGENT_STORE").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        };
        let bad = |var: &str, value: usize, reason: String| FeError::DistributedEnv {
            var: var.into(),
            value: value.to_string(),
            reason,
        };
        if world_size == 0 {
            return Err(bad("WORLD_SIZE", 0, "needs at least 1 process".into()));
        }
        if rank >= world_size {
            return Err(bad(
                "RANK",
                rank,
                format!("is outside a world of {world_size} (ranks 0 to {})", world_size - 1),
            ));
        }
        if local_world_size == 0 || local_world_size > world_size {
            return Err(bad("LOCAL_WORLD_SIZE", local_world_size, format!("must be 1 to WORLD_SIZE ({world_size})")));
        }
        if local_rank >= local_world_size {
            return Err(bad("LOCAL_RANK", local_rank, format!("is outside this node's {local_world_size} processes")));
        }
        Ok(env)
    }

    /// Whether this is global rank 0, the one process that logs and writes files.
    pub fn is_main_process(&self) -> bool {
        self.rank == 0
    }

    /// Whether the job has more than one process.
    pub fn is_distributed(&self) -> bool {
        self.world_size > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> Result<DistributedEnv> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        DistributedEnv::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn reads_torchruns_variables_and_defaults_to_one_process() {
        assert_eq!(env(&[]).expect("alone"), DistributedEnv::default());
        let e = env(&[
            ("RANK", "5"),
            ("LOCAL_RANK", "1"),
            ("WORLD_SIZE", "8"),
            ("LOCAL_WORLD_SIZE", "4"),
            ("GROUP_RANK", "1"),
            ("MASTER_ADDR", "10.0.0.2"),
            ("MASTER_PORT", "29400"),
        ])
        .expect("node 1");
        assert_eq!((e.rank, e.local_rank, e.world_size, e.local_world_size, e.node_rank), (5, 1, 8, 4, 1));
        assert_eq!((e.master_addr.as_str(), e.master_port), ("10.0.0.2", 29400));
        assert!(e.is_distributed() && !e.is_main_process());
        assert!(!e.agent_store, "rank 0 hosts the store unless torchrun's agent does");
        let torchrun = env(&[("WORLD_SIZE", "2"), ("RANK", "0"), ("TORCHELASTIC_USE_AGENT_STORE", "True")]);
        assert!(torchrun.expect("under torchrun").agent_store);
    }

    #[test]
    fn bad_variables_are_errors_that_name_them() {
        let err = env(&[("WORLD_SIZE", "two")]).expect_err("not a number");
        assert!(matches!(&err, FeError::DistributedEnv { var, .. } if var == "WORLD_SIZE"), "{err}");
        let err = env(&[("WORLD_SIZE", "2"), ("RANK", "2")]).expect_err("rank outside");
        assert!(err.to_string().contains("RANK=\"2\": is outside a world of 2"), "{err}");
        let err = env(&[("WORLD_SIZE", "2"), ("RANK", "1"), ("MASTER_PORT", "70000")]).expect_err("port");
        assert!(matches!(&err, FeError::DistributedEnv { var, .. } if var == "MASTER_PORT"), "{err}");
    }
}
