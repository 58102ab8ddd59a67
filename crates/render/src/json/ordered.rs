//! Rendering on every core, written out in order: chunks of the document are rendered by this
//! thread and by the thread pool's workers, each into a buffer, and this thread writes the
//! buffers out in document order as they are ready.
//!
//! Why like this: a report is one long JSON document, some of its services a fifth of it; the
//! chunks are small, so every core stays busy to the end. Buffers are reused once written, and
//! only a few chunks may be ahead of the writing: memory stays small whatever the report's
//! size, and the pages written are warm (a fresh page costs a fault, measured at ~3 µs here,
//! which made earlier designs that kept whole halves in memory no faster).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Renders chunk `i` into the (empty) buffer.
type RenderChunk<'a> = dyn Fn(usize, &mut Vec<u8>) -> io::Result<()> + Sync + 'a;

/// Writes every item of `items` to `out` with `write`, in order: gathered in chunks of about
/// `per_chunk` by `weight`, rendered on this thread and `helpers` pool threads.
pub(super) fn write_items<T: Sync>(
    out: &mut impl Write,
    items: &[T],
    weight: impl Fn(&T) -> usize,
    per_chunk: usize,
    helpers: usize,
    write: impl Fn(&T, &mut Vec<u8>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let weights: Vec<usize> = items.iter().map(weight).collect();
    let chunks = chunks(&weights, per_chunk);
    let render = |i: usize, buffer: &mut Vec<u8>| -> io::Result<()> {
        items[chunks[i].clone()]
            .iter()
            .try_for_each(|item| write(item, buffer))
    };
    // Room for a few chunks per thread ahead of the writing: enough that no thread waits for
    // another's chunk to be written, few enough that memory stays small.
    let ahead = 4 * (helpers + 1);
    write_in_order(out, chunks.len(), helpers, ahead, &render)
}

/// Writes `chunks` chunks to `out` in order, rendering them with `render` on this thread and
/// on up to `helpers` pool threads; at most `ahead` chunks are held rendered and not written.
fn write_in_order(
    out: &mut impl Write,
    chunks: usize,
    helpers: usize,
    ahead: usize,
    render: &RenderChunk<'_>,
) -> io::Result<()> {
    let shared = Shared {
        chunks,
        ahead: ahead.max(1),
        state: Mutex::new(State::default()),
        changed: Condvar::new(),
    };
    rayon::in_place_scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|_| shared.help(render));
        }
        // However this thread leaves (done, a write failed, a panic), the helpers stop
        // waiting for room and the scope can end.
        let _stop = StopOnDrop(&shared);
        shared.write(out, render)
    })
}

struct Shared {
    chunks: usize,
    ahead: usize,
    state: Mutex<State>,
    /// Signalled when a chunk is ready, one is written, or the writing stops.
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// The next chunk not yet taken by any thread.
    next: usize,
    /// Rendered chunks not yet written, by index.
    ready: BTreeMap<usize, io::Result<Vec<u8>>>,
    /// Chunks written so far (all below this index).
    written: usize,
    /// Buffers written out, for reuse.
    spare: Vec<Vec<u8>>,
    /// Threads waiting on `changed`: no signal is sent when none is.
    waiting: usize,
    stopped: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A thread that panicked holding the lock left the state consistent (each change is
        // one assignment); the panic itself reaches the caller through the scope.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        state.waiting += 1;
        let mut state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        state.waiting -= 1;
        state
    }

    fn signal(&self, state: &State) {
        if state.waiting > 0 {
            self.changed.notify_all();
        }
    }

    /// Takes the next chunk, if there is one and room for it ahead of the writing.
    fn take(&self, state: &mut State) -> Take {
        let next = state.next;
        if state.stopped || next >= self.chunks {
            return Take::None;
        }
        if next >= state.written + self.ahead {
            return Take::NoRoom;
        }
        state.next += 1;
        let mut buffer = state.spare.pop().unwrap_or_default();
        buffer.clear();
        Take::Chunk(next, buffer)
    }

    /// A helper's part: takes chunks and renders them, waiting when too far ahead.
    fn help(&self, render: &RenderChunk<'_>) {
        let mut state = self.lock();
        loop {
            match self.take(&mut state) {
                Take::None => return,
                Take::NoRoom => state = self.wait(state),
                Take::Chunk(i, buffer) => {
                    drop(state);
                    let rendered = Rendering { shared: self, i }.run(render, buffer);
                    state = self.lock();
                    state.ready.insert(i, rendered);
                    self.signal(&state);
                }
            }
        }
    }

    /// This thread's part: writes each chunk as soon as it and all before it are rendered,
    /// and renders chunks itself while the next one to write is not ready.
    fn write(&self, out: &mut impl Write, render: &RenderChunk<'_>) -> io::Result<()> {
        let mut state = self.lock();
        while state.written < self.chunks {
            let written = state.written;
            if let Some(rendered) = state.ready.remove(&written) {
                drop(state);
                let buffer = rendered?;
                out.write_all(&buffer)?;
                state = self.lock();
                state.written += 1;
                state.spare.push(buffer);
                self.signal(&state);
                continue;
            }
            match self.take(&mut state) {
                Take::Chunk(i, mut buffer) => {
                    drop(state);
                    let rendered = render(i, &mut buffer).map(|()| buffer);
                    state = self.lock();
                    state.ready.insert(i, rendered);
                }
                // The next chunk to write is being rendered by a helper (every chunk before
                // `next` is taken, and this thread is not rendering one): wait for it.
                Take::NoRoom | Take::None => state = self.wait(state),
            }
        }
        Ok(())
    }
}

enum Take {
    Chunk(usize, Vec<u8>),
    /// `ahead` chunks are rendered or being rendered and not yet written.
    NoRoom,
    /// Every chunk is taken, or the writing stopped.
    None,
}

/// A helper rendering chunk `i`: should it panic, the chunk is marked failed on the way out,
/// so that the writing thread does not wait for it forever (the panic itself reaches the
/// caller when the scope ends).
struct Rendering<'a> {
    shared: &'a Shared,
    i: usize,
}

impl Rendering<'_> {
    fn run(self, render: &RenderChunk<'_>, mut buffer: Vec<u8>) -> io::Result<Vec<u8>> {
        let rendered = render(self.i, &mut buffer).map(|()| buffer);
        std::mem::forget(self);
        rendered
    }
}

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        let failed = Err(io::Error::other("rendering a part of the report failed"));
        state.ready.insert(self.i, failed);
        self.shared.changed.notify_all();
    }
}

struct StopOnDrop<'a>(&'a Shared);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.stopped = true;
        self.0.changed.notify_all();
    }
}

/// Consecutive ranges of `weights` (at least one item each) of about `per_chunk` in total.
fn chunks(weights: &[usize], per_chunk: usize) -> Vec<Range<usize>> {
    let mut chunks = Vec::new();
    let (mut start, mut total) = (0, 0);
    for (i, weight) in weights.iter().enumerate() {
        if i > start && total + weight > per_chunk {
            chunks.push(start..i);
            (start, total) = (i, 0);
        }
        total += weight;
    }
    if start < weights.len() {
        chunks.push(start..weights.len());
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunk `i` is its number and a space; whatever the helpers and the room ahead, they
    /// come out in order.
    #[test]
    fn chunks_are_written_in_order() {
        for chunks in [0, 1, 2, 5, 100] {
            for helpers in [0, 1, 3] {
                for ahead in [1, 2, 8] {
                    let mut out = Vec::new();
                    let render = |i: usize, buffer: &mut Vec<u8>| write!(buffer, "{i} ");
                    write_in_order(&mut out, chunks, helpers, ahead, &render).unwrap();
                    let expected: String = (0..chunks).map(|i| format!("{i} ")).collect();
                    assert_eq!(String::from_utf8(out).unwrap(), expected);
                }
            }
        }
    }

    /// A chunk that fails fails the writing, and what came before it was written; a writer
    /// that fails stops the helpers (the call returns).
    #[test]
    fn a_failure_stops_the_writing() {
        let render = |i: usize, buffer: &mut Vec<u8>| {
            if i == 7 {
                return Err(io::Error::other("chunk 7"));
            }
            write!(buffer, "{i} ")
        };
        let mut out = Vec::new();
        let error = write_in_order(&mut out, 50, 2, 4, &render).unwrap_err();
        assert_eq!(error.to_string(), "chunk 7");
        assert_eq!(String::from_utf8(out).unwrap(), "0 1 2 3 4 5 6 ");

        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let error = write_in_order(&mut Full, 50, 2, 4, &render).unwrap_err();
        assert_eq!(error.to_string(), "disk full");
    }

    #[test]
    fn chunks_gather_weights_up_to_the_limit() {
        assert_eq!(chunks(&[], 4), Vec::<Range<usize>>::new());
        assert_eq!(chunks(&[1, 1, 1, 1, 1], 2), vec![0..2, 2..4, 4..5]);
        // An item heavier than the limit is a chunk of its own.
        assert_eq!(chunks(&[1, 9, 1, 1], 3), vec![0..1, 1..2, 2..4]);
        assert_eq!(chunks(&[0, 0, 5], 4), vec![0..2, 2..3]);
    }
}
