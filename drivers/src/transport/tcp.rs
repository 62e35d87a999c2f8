//! TCP transport, e.g. a network receipt printer on port 9100 (raw / JetDirect).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::{Connector, LinkResult, Transport};
use crate::error::{ErrorKind, classify_io};

/// Connects to `host:port` with a connect timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpConnector {
    /// Host name or address.
    pub host: String,
    /// TCP port (9100 for most network printers).
    pub port: u16,
    /// How long to wait for the connection and for each write.
    pub timeout: Duration,
}

impl TcpConnector {
    /// A connector for `host:port` with a 3-second timeout.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            timeout: Duration::from_secs(3),
        }
    }
}

impl Connector for TcpConnector {
    fn connect(&self) -> LinkResult<Box<dyn Transport>> {
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| ErrorKind::NotFound(format!("{}: {e}", self.host)))?;
        let mut last = ErrorKind::NotFound(format!("{} has no address", self.host));
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    stream
                        .set_write_timeout(Some(self.timeout))
                        .map_err(|e| classify_io(&e))?;
                    return Ok(Box::new(TcpTransport { stream }));
                }
                Err(e) => last = classify_io(&e),
            }
        }
        Err(last)
    }

    fn describe(&self) -> String {
        format!("tcp {}:{}", self.host, self.port)
    }
}

/// A connected TCP stream.
pub struct TcpTransport {
    stream: TcpStream,
}

impl Transport for TcpTransport {
    fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> LinkResult<usize> {
        let t = if timeout.is_zero() {
            Duration::from_micros(1)
        } else {
            timeout
        };
        self.stream
            .set_read_timeout(Some(t))
            .map_err(|e| classify_io(&e))?;
        match self.stream.read(buf) {
            Ok(0) => Err(ErrorKind::Disconnected("connection closed by peer".into())),
            Ok(n) => Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(0)
            }
            Err(e) => Err(classify_io(&e)),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> LinkResult<()> {
        self.stream.write_all(data).map_err(|e| classify_io(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn talks_to_a_local_listener() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 3];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&[0x12]).unwrap();
            buf
        });
        let mut t = TcpConnector::new("127.0.0.1", port).connect().unwrap();
        t.write_all(&[0x10, 0x04, 0x01]).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(t.read_timeout(&mut buf, Duration::from_secs(2)), Ok(1));
        assert_eq!(buf[0], 0x12);
        assert_eq!(server.join().unwrap(), [0x10, 0x04, 0x01]);
        assert!(matches!(
            t.read_timeout(&mut buf, Duration::from_secs(2)),
            Err(ErrorKind::Disconnected(_))
        ));
    }

    #[test]
    fn refused_connection_is_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        assert!(TcpConnector::new("127.0.0.1", port).connect().is_err());
    }
}
