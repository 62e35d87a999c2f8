//! Waiting for a file descriptor to become readable, with a timeout (POSIX `poll`).

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// Waits up to `timeout` for `fd` to have data. `Ok(true)` means readable (or hung up,
/// which the following read reports); `Ok(false)` means the time ran out.
pub fn wait_readable(fd: RawFd, timeout: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    loop {
        // SAFETY: `pfd` is a valid pollfd for the duration of the call and we pass a count of 1.
        let rc = unsafe { libc::poll(&mut pfd, 1, millis) };
        if rc < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        if rc == 0 {
            return Ok(false);
        }
        if pfd.revents & libc::POLLNVAL != 0 {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        return Ok(true);
    }
}
