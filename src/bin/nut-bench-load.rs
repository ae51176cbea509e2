//! Load generator for the upsd benchmark (bench/upsd/run.py), not a test:
//! closed-loop clients sending `GET VAR` / `LIST VAR` batches, idle
//! connection holders, and a trivial echo server for comparison. Prints
//! one JSON object per run on stdout.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Parser)]
#[command(name = "nut-bench-load", about = "Load generator for the upsd benchmark")]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Closed-loop clients; each sends `pipeline` requests per write and
    /// waits for all replies.
    Load {
        /// Server address.
        #[arg(long)]
        addr: SocketAddr,
        /// The request line (without LF), e.g. "GET VAR ups ups.status".
        #[arg(long)]
        request: String,
        /// Replies are lists (read up to END LIST).
        #[arg(long)]
        list: bool,
        /// Concurrent connections.
        #[arg(long, default_value_t = 1)]
        conns: usize,
        /// Requests per write.
        #[arg(long, default_value_t = 1)]
        pipeline: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 3.0)]
        secs: f64,
        /// Idle connections to open (and hold) before the run.
        #[arg(long, default_value_t = 0)]
        idle: usize,
    },
    /// A trivial line server: answers each line with a fixed reply.
    Echo {
        /// Listen address.
        #[arg(long)]
        addr: SocketAddr,
    },
}

fn raise_nofile() {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 {
            r.rlim_cur = r.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

/// How long one connect may take before the run counts it as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long opening all idle connections may take.
const IDLE_SETUP_LIMIT: Duration = Duration::from_secs(30);
/// How long one reply (or batch of replies) may take.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

async fn connect(addr: SocketAddr) -> Result<TcpStream> {
    tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| anyhow::anyhow!("connect timed out after {CONNECT_TIMEOUT:?}"))?
        .context("connect")
}

/// One closed-loop client. Returns the latencies measured before it ended,
/// and why it ended early, if it did.
async fn client(
    addr: SocketAddr,
    req: String,
    list: bool,
    pipeline: usize,
    until: Instant,
) -> (Vec<u32>, Option<String>) {
    let mut lat = Vec::new();
    let r = client_loop(addr, &req, list, pipeline, until, &mut lat).await;
    (lat, r.err().map(|e| format!("{e:#}")))
}

async fn client_loop(
    addr: SocketAddr,
    req: &str,
    list: bool,
    pipeline: usize,
    until: Instant,
    lat: &mut Vec<u32>,
) -> Result<()> {
    let s = connect(addr).await?;
    s.set_nodelay(true)?;
    let (r, mut w) = s.into_split();
    let mut r = BufReader::with_capacity(64 * 1024, r);
    let batch: String = std::iter::repeat_n(format!("{req}\n"), pipeline).collect();
    let mut line = Vec::new();
    while Instant::now() < until {
        let t = Instant::now();
        let exchange = async {
            w.write_all(batch.as_bytes()).await?;
            for _ in 0..pipeline {
                loop {
                    line.clear();
                    if r.read_until(b'\n', &mut line).await? == 0 {
                        anyhow::bail!("server closed the connection");
                    }
                    if !list || line.starts_with(b"END LIST") || line.starts_with(b"ERR") {
                        break;
                    }
                }
            }
            Ok(())
        };
        tokio::time::timeout(REPLY_TIMEOUT, exchange)
            .await
            .map_err(|_| anyhow::anyhow!("no reply within {REPLY_TIMEOUT:?}"))??;
        lat.push(t.elapsed().as_micros() as u32);
    }
    Ok(())
}

fn pct(v: &[u32], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    f64::from(v[i]) / 1000.0
}

async fn load(
    addr: SocketAddr,
    request: String,
    list: bool,
    conns: usize,
    pipeline: usize,
    secs: f64,
    idle: usize,
) -> Result<()> {
    let mut held = Vec::with_capacity(idle);
    let mut idle_error = None;
    let setup = Instant::now();
    for i in 0..idle {
        if setup.elapsed() > IDLE_SETUP_LIMIT {
            idle_error = Some(format!("only {i} idle connections opened in {IDLE_SETUP_LIMIT:?}"));
            break;
        }
        match connect(addr).await {
            Ok(c) => held.push(c),
            Err(e) => {
                idle_error = Some(format!("refused after {i} idle connections: {e:#}"));
                break;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(secs);
    let tasks: Vec<_> =
        (0..conns).map(|_| tokio::spawn(client(addr, request.clone(), list, pipeline, until))).collect();
    let mut lat = Vec::new();
    let mut failed = 0;
    let mut first_error = None;
    for t in tasks {
        let (l, e) = t.await?;
        lat.extend(l);
        if let Some(e) = e {
            failed += 1;
            first_error.get_or_insert(e);
        }
    }
    let wall = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    let requests = lat.len() * pipeline;
    let json_str = |o: Option<String>| o.map_or("null".to_string(), |s| format!("{s:?}"));
    println!(
        "{{\"requests\": {requests}, \"secs\": {wall:.3}, \"rps\": {:.1}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}, \
         \"idle_held\": {}, \"idle_error\": {}, \"clients_failed\": {failed}, \"client_error\": {}}}",
        requests as f64 / wall,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        held.len(),
        json_str(idle_error),
        json_str(first_error),
    );
    drop(held);
    Ok(())
}

async fn echo(addr: SocketAddr) -> Result<()> {
    let l = TcpListener::bind(addr).await?;
    eprintln!("echo listening on {addr}");
    loop {
        let (mut s, _) = l.accept().await?;
        s.set_nodelay(true)?;
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut out = Vec::new();
            loop {
                let n = match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                for _ in buf[..n].iter().filter(|&&b| b == b'\n') {
                    out.extend_from_slice(b"VAR ups ups.status \"OL\"\n");
                }
                if s.write_all(&out).await.is_err() {
                    return;
                }
                out.clear();
            }
        });
    }
}

fn main() -> Result<()> {
    raise_nofile();
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match args.cmd {
        Cmd::Load { addr, request, list, conns, pipeline, secs, idle } => {
            rt.block_on(load(addr, request, list, conns, pipeline, secs, idle))
        }
        Cmd::Echo { addr } => rt.block_on(echo(addr)),
    }
}
