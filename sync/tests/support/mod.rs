//! A stand-in for HQ's reply contract on a real loopback HTTP socket, and terminal
//! databases to upload from, shared by the sync crate's integration tests.
//!
//! The server parses each request, records what it received, and answers according to a
//! script (the plain contract, a lost event, outages, bad answers, refused credentials).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use serde_json::{Value, json};
use storepos_sync::outbox::{self, Origin};
use storepos_sync::wire::{IngestReply, SeqRange};
use storepos_sync::{Envelope, Uploader, refusals};

pub const TOKEN: &str = "t0ken-S001-T01";

// ---------------------------------------------------------------- the stand-in for HQ

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: Value,
}

impl Request {
    pub fn events(&self) -> Vec<Envelope> {
        serde_json::from_value(self.body["events"].clone()).expect("body carries events")
    }

    pub fn seqs(&self) -> Vec<u64> {
        self.events().iter().map(|e| e.seq).collect()
    }
}

/// Events held, as HQ would hold them: one per sequence number.
#[derive(Default)]
pub struct Held(pub BTreeMap<u64, Envelope>);

impl Held {
    pub fn store(&mut self, events: Vec<Envelope>) {
        for e in events {
            let kept = self.0.entry(e.seq).or_insert_with(|| e.clone());
            assert_eq!(kept, &e, "a resent event must be the same event");
        }
    }

    /// What HQ answers: the highest contiguous sequence and the gaps below the highest
    /// seen, as ranges.
    pub fn reply(&self) -> IngestReply {
        let mut acked = 0;
        while self.0.contains_key(&(acked + 1)) {
            acked += 1;
        }
        let top = self.0.keys().next_back().copied().unwrap_or(0);
        let mut missing: Vec<SeqRange> = Vec::new();
        for seq in (1..top).filter(|s| !self.0.contains_key(s)) {
            match missing.last_mut() {
                Some(range) if range.last + 1 == seq => range.last = seq,
                _ => missing.push(SeqRange {
                    first: seq,
                    last: seq,
                }),
            }
        }
        let missing_total = missing.iter().map(SeqRange::count).sum();
        IngestReply {
            acked_seq: acked,
            missing,
            missing_total,
            refused: Vec::new(),
        }
    }

    /// [`Held::reply`] as a 200 answer.
    pub fn answer(&self) -> Reply {
        Reply::Status(200, serde_json::to_string(&self.reply()).unwrap())
    }
}

pub enum Reply {
    Status(u16, String),
    /// Accept the request and say nothing for this long.
    Silence(Duration),
}

pub type Script = Box<dyn FnMut(&Request, &mut Held) -> Reply + Send>;

/// The plain contract: keep what arrives, answer how far it is complete.
pub fn contract() -> Script {
    Box::new(|req, held| {
        held.store(req.events());
        held.answer()
    })
}

pub struct Hq {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hq {
    pub fn start(script: Script) -> Hq {
        Hq::start_on("127.0.0.1:0".parse().unwrap(), script)
    }

    pub fn start_on(addr: SocketAddr, mut script: Script) -> Hq {
        let listener = TcpListener::bind(addr).expect("bind the stand-in HQ");
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log2, stop2) = (Arc::clone(&log), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut held = Held::default();
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let Some(req) = read_request(&mut stream) else {
                    continue;
                };
                let reply = script(&req, &mut held);
                log2.lock().unwrap().push(req);
                match reply {
                    Reply::Status(code, body) => write_response(&mut stream, code, &body),
                    Reply::Silence(d) => std::thread::sleep(d),
                }
            }
        });
        Hq {
            addr,
            log,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// Stops answering and closes the port.
    pub fn shut_down(mut self) -> SocketAddr {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        self.thread.take().unwrap().join().unwrap();
        self.addr
    }
}

pub fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let (mut length, mut authorization, mut content_type) = (0, None, None);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim().to_string();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().ok()?,
            "authorization" => authorization = Some(value),
            "content-type" => content_type = Some(value),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        authorization,
        content_type,
        body: serde_json::from_slice(&body).ok()?,
    })
}

pub fn write_response(stream: &mut TcpStream, code: u16, body: &str) {
    let response = format!(
        "HTTP/1.1 {code} Scripted\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

// ---------------------------------------------------------------- the terminal side

pub fn origin() -> Origin {
    Origin {
        store_id: "S001".into(),
        terminal_id: "T01".into(),
    }
}

pub struct Terminal {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Terminal {
    /// A terminal database with `n` events in its outbox.
    pub fn with_events(n: u64) -> (Terminal, Vec<Envelope>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terminal.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL;").unwrap();
        conn.execute_batch(outbox::SCHEMA).unwrap();
        conn.execute_batch(refusals::SCHEMA).unwrap();
        let terminal = Terminal { _dir: dir, path };
        let events = terminal.append(n);
        (terminal, events)
    }

    pub fn append(&self, n: u64) -> Vec<Envelope> {
        let mut conn = self.conn();
        let tx = conn.transaction().unwrap();
        let start = outbox::backlog(&tx).unwrap() + outbox::acknowledged_up_to(&tx).unwrap();
        let events = (start..start + n)
            .map(|i| {
                let payload = json!({ "receipt": i + 1, "total_minor": 100 * (i + 1) });
                outbox::append(&tx, &origin(), "sale.completed", payload, at(i)).unwrap()
            })
            .collect();
        tx.commit().unwrap();
        events
    }

    pub fn conn(&self) -> Connection {
        let conn = Connection::open(&self.path).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn
    }

    /// (acknowledged up to, backlog), read through a connection of its own.
    pub fn outbox_state(&self) -> (u64, u64) {
        let conn = self.conn();
        (
            outbox::acknowledged_up_to(&conn).unwrap(),
            outbox::backlog(&conn).unwrap(),
        )
    }

    pub fn uploader(&self, hq_url: &str) -> Uploader {
        Uploader::open(&self.path, origin(), hq_url, TOKEN).unwrap()
    }
}

pub fn at(i: u64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 12, 4, 9, 0, 0).unwrap() + chrono::Duration::milliseconds(i as i64)
}

/// A loopback address nothing listens on.
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

pub fn eventually(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
