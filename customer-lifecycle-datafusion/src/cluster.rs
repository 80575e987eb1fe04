//! The crate's plans on a [Ballista](https://datafusion.apache.org/ballista/)
//! cluster (feature `ballista`).
//!
//! Ballista ships plans between processes with functions named, not
//! shipped: every process that plans or runs them (the client, the
//! scheduler, each executor) needs the crate's [`functions`] compiled in.
//! [`serve_scheduler`] and [`serve_executor`] are those processes, with the
//! functions registered, as the `scheduler` and `executor` examples run
//! them; [`connect`] is the client's session; [`LocalCluster`] runs a
//! scheduler and executors inside the current process for tests.
//!
//! Every function of [`btyd`](crate::btyd) and [`rfm`](crate::rfm) takes a
//! log read through a cluster session and runs its plan on the cluster;
//! only the aggregated rows reach the client.
//!
//! [`functions`]: crate::functions::functions

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::functions::functions;

fn cluster_error(what: &str) -> impl Fn(ballista_core::error::BallistaError) -> Error + '_ {
    move |e| Error::Cluster(format!("{what}: {e}"))
}

fn io_error(what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |error| Error::Io { path: what.to_owned(), error }
}

/// Ballista's default session for `config` with the crate's functions
/// registered: what every process of a cluster plans and runs with.
///
/// # Errors
///
/// [`Error::DataFusion`] when DataFusion cannot build the session.
pub fn session_state(config: SessionConfig) -> Result<SessionState, Error> {
    let mut state = ballista_core::utils::default_session_builder(config)?;
    for f in functions() {
        state.register_udf(Arc::new(f))?;
    }
    Ok(state)
}

/// A client session on the cluster whose scheduler listens at `scheduler`
/// (`HOST:PORT`), planning with `target_partitions` partitions. A log read
/// through it ([`TransactionLog::read`](crate::TransactionLog::read)) is
/// read by the executors: a path must name the same files on every
/// machine of the cluster.
///
/// # Errors
///
/// [`Error::DataFusion`] when the address is not `HOST:PORT` or the
/// session cannot be built. The scheduler is first contacted when a plan
/// runs.
pub async fn connect(scheduler: &str, target_partitions: usize) -> Result<SessionContext, Error> {
    let config = SessionConfig::new_with_ballista().with_target_partitions(target_partitions.max(1));
    let ctx = SessionContext::remote_with_state(&format!("df://{scheduler}"), session_state(config)?).await?;
    // Ballista's client session replaces the scalar functions with its own
    // list: the crate's go back in.
    crate::functions::register_all(&ctx);
    Ok(ctx)
}

/// Runs a scheduler on `listener` until the process stops, with the
/// crate's functions registered and its state in memory.
///
/// # Errors
///
/// [`Error::Cluster`] when the scheduler cannot start or its server fails.
pub async fn serve_scheduler(listener: TcpListener) -> Result<(), Error> {
    let addr = listener.local_addr().map_err(io_error("the scheduler's socket"))?;
    let config = SchedulerConfig {
        bind_host: addr.ip().to_string(),
        bind_port: addr.port(),
        external_host: addr.ip().to_string(),
        override_session_builder: Some(Arc::new(|config| {
            session_state(config).map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))
        })),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(cluster_error("scheduler"))?;
    let server = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, Arc::new(config))
        .await
        .map_err(cluster_error("scheduler"))?;
    start_grpc_service_with_listener(listener, server).await.map_err(cluster_error("scheduler"))
}

/// A port on `host` that the system has just handed out and is free again.
fn free_port(host: IpAddr) -> Result<u16, Error> {
    let listener = std::net::TcpListener::bind((host, 0)).map_err(io_error("a free port"))?;
    Ok(listener.local_addr().map_err(io_error("a free port"))?.port())
}

/// Where an executor listens and whom it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecutorOptions {
    /// The scheduler, `HOST:PORT`.
    pub scheduler: String,
    /// The address the executor's data (Arrow Flight) server listens on;
    /// port 0 asks the system for one. The executor's control port is
    /// always one the system hands out.
    pub bind: SocketAddr,
    /// The host name other machines reach it by; `None` is the bind
    /// address, which then must not be `0.0.0.0`.
    pub advertise: Option<String>,
    /// Tasks run at once; 0 is one per core.
    pub vcores: usize,
    /// Where it keeps shuffle files; `None` is a new directory under the
    /// system's temporary directory, which it does not remove.
    pub work_dir: Option<String>,
}

impl ExecutorOptions {
    /// An executor on loopback with a port from the system, serving the
    /// scheduler at `scheduler` (`HOST:PORT`) with one task per core.
    pub fn loopback(scheduler: &str) -> ExecutorOptions {
        ExecutorOptions {
            scheduler: scheduler.to_owned(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            advertise: None,
            vcores: 0,
            work_dir: None,
        }
    }
}

/// Runs an executor with the crate's functions registered until the
/// process receives Ctrl-C or SIGTERM (it then tells the scheduler and
/// drains its tasks).
///
/// # Errors
///
/// [`Error::Cluster`] when the scheduler address is not `HOST:PORT`, the
/// scheduler cannot be reached, or a server fails; [`Error::Io`] when no
/// port is free.
pub async fn serve_executor(options: &ExecutorOptions) -> Result<(), Error> {
    let bad = || Error::Cluster(format!("scheduler {:?} is not HOST:PORT", options.scheduler));
    let (host, port) = options.scheduler.rsplit_once(':').ok_or_else(bad)?;
    let scheduler_port: u16 = port.parse().map_err(|_| bad())?;
    let ip = options.bind.ip();
    if options.advertise.is_none() && ip.is_unspecified() {
        return Err(Error::Cluster(format!("an executor bound to {ip} needs the host name to advertise")));
    }
    let port = if options.bind.port() == 0 { free_port(ip)? } else { options.bind.port() };
    let state = session_state(SessionConfig::new_with_ballista())?;
    let config = ExecutorProcessConfig {
        bind_host: ip.to_string(),
        external_host: Some(options.advertise.clone().unwrap_or_else(|| ip.to_string())),
        port,
        grpc_port: free_port(ip)?,
        scheduler_host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
        scheduler_port,
        vcores: options.vcores,
        work_dir: options.work_dir.clone(),
        print_thread_info: false,
        override_function_registry: Some(Arc::new(BallistaFunctionRegistry::from(&state))),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config)).await.map_err(cluster_error("executor"))
}

/// A scheduler and executors on loopback inside this process, with ports
/// the system hands out: a cluster for tests. Dropping it stops them.
#[derive(Debug)]
pub struct LocalCluster {
    scheduler: SocketAddr,
    tasks: Vec<JoinHandle<Result<(), Error>>>,
    /// The executors' shuffle files, removed with the cluster.
    _work: tempfile::TempDir,
}

impl LocalCluster {
    /// Starts a scheduler and `executors` executors (at least one) on the
    /// current Tokio runtime, each running `vcores` tasks at once (0: one
    /// per core).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when no loopback port or temporary directory is
    /// free.
    pub async fn start(executors: usize, vcores: usize) -> Result<LocalCluster, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.map_err(io_error("the scheduler's socket"))?;
        let scheduler = listener.local_addr().map_err(io_error("the scheduler's socket"))?;
        let work = tempfile::tempdir().map_err(io_error("a temporary directory"))?;
        let mut tasks = vec![tokio::spawn(serve_scheduler(listener))];
        for k in 0..executors.max(1) {
            let options = ExecutorOptions {
                vcores,
                work_dir: Some(work.path().join(k.to_string()).display().to_string()),
                ..ExecutorOptions::loopback(&scheduler.to_string())
            };
            tasks.push(tokio::spawn(async move { serve_executor(&options).await }));
        }
        Ok(LocalCluster { scheduler, tasks, _work: work })
    }

    /// The scheduler's address.
    pub fn scheduler(&self) -> SocketAddr {
        self.scheduler
    }

    /// A client session on this cluster (see [`connect`]).
    ///
    /// # Errors
    ///
    /// As [`connect`].
    pub async fn context(&self, target_partitions: usize) -> Result<SessionContext, Error> {
        connect(&self.scheduler.to_string(), target_partitions).await
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
