//! Positioned reads, shared between threads: the one interface every container is read
//! through (an image, a partition of it, a file inside a volume), and a `Read + Seek` cursor
//! over it for the format readers.

use std::io::{self, Read, Seek, SeekFrom};
use std::sync::{Arc, Mutex};

/// Bytes that can be read at any offset, from any thread.
pub trait ReadAt: Send + Sync {
    /// Reads at `offset` into `buf`; returns how many bytes were read (0 at the end).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// How many bytes there are.
    fn size(&self) -> u64;

    /// Reads exactly `buf.len()` bytes at `offset`, or fails.
    fn read_exact_at(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_at(offset, buf)? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("read past the end at offset {offset}"),
                    ))
                }
                n => {
                    offset += n as u64;
                    buf = &mut buf[n..];
                }
            }
        }
        Ok(())
    }
}

/// A file on disk, opened read-only, read at offsets without a shared position.
pub struct DiskFile {
    file: std::fs::File,
    size: u64,
}

impl DiskFile {
    pub fn open(path: &std::path::Path) -> io::Result<DiskFile> {
        let file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        Ok(DiskFile { file, size })
    }
}

impl ReadAt for DiskFile {
    #[cfg(unix)]
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(&self.file, buf, offset)
    }

    #[cfg(windows)]
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(&self.file, buf, offset)
    }

    fn size(&self) -> u64 {
        self.size
    }
}

/// A `Read + Seek` reader (a container crate's) made shareable: one read at a time.
pub struct Locked<R> {
    inner: Mutex<R>,
    size: u64,
}

impl<R: Read + Seek + Send> Locked<R> {
    pub fn new(inner: R, size: u64) -> Locked<R> {
        Locked {
            inner: Mutex::new(inner),
            size,
        }
    }
}

impl<R: Read + Seek + Send> ReadAt for Locked<R> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let len = room(buf.len(), self.size, offset);
        if len == 0 {
            return Ok(0);
        }
        let mut inner = self
            .inner
            .lock()
            .map_err(|_| io::Error::other("a reader of this image failed in another thread"))?;
        inner.seek(SeekFrom::Start(offset))?;
        inner.read(&mut buf[..len])
    }

    fn size(&self) -> u64 {
        self.size
    }
}

/// How many of `wanted` bytes lie before `size` from `offset`.
fn room(wanted: usize, size: u64, offset: u64) -> usize {
    wanted.min(usize::try_from(size.saturating_sub(offset)).unwrap_or(usize::MAX))
}

/// A part of other bytes (a partition of a disk): reads never leave it.
pub struct Slice {
    inner: Arc<dyn ReadAt>,
    start: u64,
    size: u64,
}

impl Slice {
    /// `start..start + size` of `inner`, cut at its end.
    pub fn new(inner: Arc<dyn ReadAt>, start: u64, size: u64) -> Slice {
        let size = size.min(inner.size().saturating_sub(start));
        Slice { inner, start, size }
    }
}

impl ReadAt for Slice {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let len = room(buf.len(), self.size, offset);
        if len == 0 {
            return Ok(0);
        }
        self.inner.read_at(self.start + offset, &mut buf[..len])
    }

    fn size(&self) -> u64 {
        self.size
    }
}

/// Bytes in memory (a small file resident in its $MFT record).
impl ReadAt for Vec<u8> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Some(rest) = usize::try_from(offset).ok().and_then(|o| self.get(o..)) else {
            return Ok(0);
        };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }

    fn size(&self) -> u64 {
        self.len() as u64
    }
}

/// A `Read + Seek` cursor over shared bytes: each cursor has its own position.
#[derive(Clone)]
pub struct Cursor {
    inner: Arc<dyn ReadAt>,
    position: u64,
}

impl Cursor {
    pub fn new(inner: Arc<dyn ReadAt>) -> Cursor {
        Cursor { inner, position: 0 }
    }

    pub fn size(&self) -> u64 {
        self.inner.size()
    }
}

impl Read for Cursor {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read_at(self.position, buf)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for Cursor {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.inner.size().checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        self.position = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_never_reads_outside_itself() {
        let bytes: Arc<dyn ReadAt> = Arc::new((0u8..100).collect::<Vec<u8>>());
        let slice = Slice::new(bytes, 90, 50);
        assert_eq!(slice.size(), 10);
        let mut buf = [0u8; 20];
        assert_eq!(slice.read_at(5, &mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], &[95, 96, 97, 98, 99]);
        assert_eq!(slice.read_at(10, &mut buf).unwrap(), 0);
        let mut cursor = Cursor::new(Arc::new(slice));
        assert_eq!(cursor.seek(SeekFrom::End(-2)).unwrap(), 8);
        let mut rest = Vec::new();
        cursor.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, [98, 99]);
        assert!(cursor.seek(SeekFrom::Current(-20)).is_err());
    }
}
