//! `fastestimator launch`: run a job as N processes with torchrun's variables, without Python
//! (`fe::distributed::Launcher`).

use std::path::PathBuf;

use clap::Args;
use fastestimator as fe;
use fe::distributed::{Launcher, NprocPerNode};

/// Options of `fastestimator launch`, named as torchrun names them.
#[derive(Args, Debug)]
pub struct LaunchArgs {
    /// Processes on this node: a number, or `auto` (one per visible GPU, 1 without one).
    #[arg(long = "nproc-per-node", value_name = "N|auto", default_value = "1")]
    nproc_per_node: String,
    /// Nodes in the job.
    #[arg(long, default_value_t = 1)]
    nnodes: usize,
    /// This node's index (0 to nnodes - 1).
    #[arg(long = "node-rank", default_value_t = 0)]
    node_rank: usize,
    /// The address of rank 0's node.
    #[arg(long = "master-addr", default_value = "127.0.0.1")]
    master_addr: String,
    /// The port of rank 0's rendezvous store.
    #[arg(long = "master-port", default_value_t = 29500)]
    master_port: u16,
    /// `HOST:PORT` of the rendezvous (torchrun's spelling; overrides --master-addr/--master-port).
    #[arg(long = "rdzv-endpoint", value_name = "HOST:PORT")]
    rdzv_endpoint: Option<String>,
    /// The program, then its arguments (after `--`).
    #[arg(required = true, num_args = 1.., last = true, value_name = "PROGRAM [ARGS]")]
    command: Vec<String>,
}

/// Run `fastestimator launch`.
pub fn run(args: &LaunchArgs) -> fe::Result<()> {
    let (program, rest) =
        args.command.split_first().ok_or_else(|| fe::FeError::param("launch", "command", "missing"))?;
    let (addr, port) = match &args.rdzv_endpoint {
        Some(endpoint) => {
            let (host, port) = endpoint.rsplit_once(':').ok_or_else(|| {
                fe::FeError::param("launch", "rdzv-endpoint", format!("expects HOST:PORT, got {endpoint:?}"))
            })?;
            let port = port
                .parse::<u16>()
                .map_err(|_| fe::FeError::param("launch", "rdzv-endpoint", format!("{port:?} is not a port")))?;
            (host.to_string(), port)
        }
        None => (args.master_addr.clone(), args.master_port),
    };
    Launcher::new(PathBuf::from(program), rest)
        .nproc_per_node(args.nproc_per_node.parse::<NprocPerNode>()?)
        .nnodes(args.nnodes)
        .node_rank(args.node_rank)
        .master(addr, port)
        .run()
}
