//! File and chunk assembly: records are appended to a chunk until it is full, then a new chunk
//! starts (with its own string and template tables); header CRC32s are computed last.

use jiff::Timestamp;

use super::binxml::{sid_bytes, ty, ChunkTables, Emitter, Node, Val};
use super::event::EvtxEvent;

const FILE_HEADER_SIZE: usize = 0x1000;
const CHUNK_SIZE: usize = 0x1_0000;
const CHUNK_HEADER_SIZE: usize = 0x200;

/// Writes `events` as an EVTX file; record ids start at `first_record_id`.
pub fn write_evtx(events: &[EvtxEvent], first_record_id: u64) -> Vec<u8> {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut chunk = Chunk::new();
    for (i, event) in events.iter().enumerate() {
        let record_id = first_record_id + i as u64;
        if !chunk.append(event, record_id) {
            chunks.push(chunk.finish());
            chunk = Chunk::new();
            // A record larger than an empty chunk cannot be written; such a case is a test bug.
            assert!(
                chunk.append(event, record_id),
                "event {record_id} does not fit in a chunk"
            );
        }
    }
    if chunk.first_record.is_some() || chunks.is_empty() {
        chunks.push(chunk.finish());
    }
    let next_record_id = first_record_id + events.len() as u64;
    let mut file = file_header(chunks.len(), next_record_id);
    for c in chunks {
        file.extend_from_slice(&c);
    }
    file
}

fn file_header(chunk_count: usize, next_record_id: u64) -> Vec<u8> {
    let mut h = vec![0u8; FILE_HEADER_SIZE];
    h[0..8].copy_from_slice(b"ElfFile\0");
    put_u64(&mut h, 8, 0);
    put_u64(&mut h, 16, chunk_count.saturating_sub(1) as u64);
    put_u64(&mut h, 24, next_record_id);
    put_u32(&mut h, 32, 128);
    h[36..38].copy_from_slice(&1u16.to_le_bytes());
    h[38..40].copy_from_slice(&3u16.to_le_bytes());
    h[40..42].copy_from_slice(&(FILE_HEADER_SIZE as u16).to_le_bytes());
    h[42..44].copy_from_slice(&(chunk_count as u16).to_le_bytes());
    put_u32(&mut h, 120, 0); // flags: clean
    let crc = crc32fast::hash(&h[..120]);
    put_u32(&mut h, 124, crc);
    h
}

struct Chunk {
    buf: Vec<u8>,
    tables: ChunkTables,
    first_record: Option<u64>,
    last_record: u64,
    last_record_offset: u32,
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            buf: vec![0u8; CHUNK_HEADER_SIZE],
            tables: ChunkTables::default(),
            first_record: None,
            last_record: 0,
            last_record_offset: 0,
        }
    }

    /// Appends a record; `false` (and no change) when it does not fit.
    fn append(&mut self, event: &EvtxEvent, record_id: u64) -> bool {
        let start = self.buf.len();
        let saved = self.tables.clone();
        let mut e = Emitter {
            buf: &mut self.buf,
            tables: &mut self.tables,
        };
        e.u32(0x0000_2a2a);
        e.u32(0); // size, patched below
        e.u64(record_id);
        e.u64(filetime(event.time));
        e.buf.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
        let (guid, root) = template(event);
        e.template_instance(guid, &root, &values(event, record_id));
        // Records are 8-byte aligned in real chunks; the padding reads as end-of-stream.
        while !(self.buf.len() - start + 4).is_multiple_of(8) {
            self.buf.push(0);
        }
        let size = (self.buf.len() - start + 4) as u32;
        self.buf.extend_from_slice(&size.to_le_bytes());
        put_u32(&mut self.buf, start + 4, size);
        if self.buf.len() > CHUNK_SIZE {
            self.buf.truncate(start);
            self.tables = saved;
            return false;
        }
        self.first_record.get_or_insert(record_id);
        self.last_record = record_id;
        self.last_record_offset = start as u32;
        true
    }

    fn finish(mut self) -> Vec<u8> {
        let free = self.buf.len();
        self.buf.resize(CHUNK_SIZE, 0);
        let b = &mut self.buf;
        b[0..8].copy_from_slice(b"ElfChnk\0");
        let first = self.first_record.unwrap_or(1);
        let last = if self.first_record.is_some() {
            self.last_record
        } else {
            0
        };
        for (at, v) in [(8, first), (16, last), (24, first), (32, last)] {
            put_u64(b, at, v);
        }
        put_u32(b, 40, 128);
        put_u32(b, 44, self.last_record_offset);
        put_u32(b, 48, free as u32);
        let records_crc = crc32fast::hash(&b[CHUNK_HEADER_SIZE..free]);
        put_u32(b, 52, records_crc);
        for (i, offset) in self.tables.string_table.iter().enumerate() {
            put_u32(b, 128 + i * 4, *offset);
        }
        for (i, offset) in self.tables.template_table.iter().enumerate() {
            put_u32(b, 384 + i * 4, *offset);
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&b[..120]);
        hasher.update(&b[128..CHUNK_HEADER_SIZE]);
        let header_crc = hasher.finalize();
        put_u32(b, 124, header_crc);
        self.buf
    }
}

/// Substitution slots of the System part; EventData slots follow. Slot 3 is the EventID, as in
/// Windows' own System template (konseki's reader relies on it: `docs/formats.md`, "EVTX").
const SYSTEM_SLOTS: u16 = 17;

fn template(event: &EvtxEvent) -> ([u8; 16], Node) {
    let sub = |index: u16, ty: u8| Val::Sub {
        index,
        ty,
        optional: false,
    };
    let opt = |index: u16, ty: u8| Val::Sub {
        index,
        ty,
        optional: true,
    };
    let el = |name, attrs, children| Node::Element {
        name,
        attrs,
        children,
    };
    let text = |index, ty| vec![Node::Value(sub(index, ty))];
    let system = el(
        "System",
        vec![],
        vec![
            el(
                "Provider",
                vec![
                    ("Name", sub(0, ty::STRING)),
                    ("Guid", opt(1, ty::GUID)),
                    ("EventSourceName", opt(2, ty::STRING)),
                ],
                vec![],
            ),
            el(
                "EventID",
                vec![("Qualifiers", opt(4, ty::UINT16))],
                text(3, ty::UINT16),
            ),
            el("Version", vec![], text(5, ty::UINT8)),
            el("Level", vec![], text(6, ty::UINT8)),
            el("Task", vec![], text(7, ty::UINT16)),
            el("Opcode", vec![], text(8, ty::UINT8)),
            el("Keywords", vec![], text(9, ty::HEXINT64)),
            el(
                "TimeCreated",
                vec![("SystemTime", sub(10, ty::FILETIME))],
                vec![],
            ),
            el("EventRecordID", vec![], text(11, ty::UINT64)),
            el("Correlation", vec![], vec![]),
            el(
                "Execution",
                vec![
                    ("ProcessID", sub(12, ty::UINT32)),
                    ("ThreadID", sub(13, ty::UINT32)),
                ],
                vec![],
            ),
            el("Channel", vec![], text(14, ty::STRING)),
            el("Computer", vec![], text(15, ty::STRING)),
            el("Security", vec![("UserID", opt(16, ty::SID))], vec![]),
        ],
    );
    let mut data: Vec<Node> = event
        .data
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            el(
                "Data",
                vec![("Name", Val::Text(name.clone()))],
                text(SYSTEM_SLOTS + i as u16, ty::STRING),
            )
        })
        .collect();
    if event.binary.is_some() {
        data.push(el(
            "Binary",
            vec![],
            text(SYSTEM_SLOTS + event.data.len() as u16, ty::BINARY),
        ));
    }
    let root = el(
        "Event",
        vec![(
            "xmlns",
            Val::Text("http://schemas.microsoft.com/win/2004/08/events/event".into()),
        )],
        vec![system, el("EventData", vec![], data)],
    );
    // One template per EventData shape; its GUID (and id) is derived from the shape.
    let mut shape: Vec<String> = event.data.iter().map(|(n, _)| n.clone()).collect();
    shape.push(format!("binary={}", event.binary.is_some()));
    (shape_guid(&shape.join("\u{1}")), root)
}

fn values(event: &EvtxEvent, record_id: u64) -> Vec<(u8, Vec<u8>)> {
    let string = |s: &str| {
        (
            ty::STRING,
            s.encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>(),
        )
    };
    let null = (ty::NULL, Vec::new());
    let mut v = vec![
        string(&event.provider),
        event
            .provider_guid
            .map_or(null.clone(), |g| (ty::GUID, g.to_vec())),
        event
            .event_source_name
            .as_deref()
            .map_or(null.clone(), string),
        (ty::UINT16, event.event_id.to_le_bytes().to_vec()),
        event
            .qualifiers
            .map_or(null.clone(), |q| (ty::UINT16, q.to_le_bytes().to_vec())),
        (ty::UINT8, vec![0]),
        (ty::UINT8, vec![event.level]),
        (ty::UINT16, event.task.to_le_bytes().to_vec()),
        (ty::UINT8, vec![0]),
        (ty::HEXINT64, event.keywords.to_le_bytes().to_vec()),
        (ty::FILETIME, filetime(event.time).to_le_bytes().to_vec()),
        (ty::UINT64, record_id.to_le_bytes().to_vec()),
        (ty::UINT32, event.process_id.to_le_bytes().to_vec()),
        (ty::UINT32, event.thread_id.to_le_bytes().to_vec()),
        string(&event.channel),
        string(&event.computer),
        event
            .user_sid
            .as_deref()
            .and_then(sid_bytes)
            .map_or(null, |s| (ty::SID, s)),
    ];
    v.extend(event.data.iter().map(|(_, value)| string(value)));
    if let Some(b) = &event.binary {
        v.push((ty::BINARY, b.clone()));
    }
    v
}

/// FILETIME: 100 ns intervals since 1601-01-01 UTC.
pub(crate) fn filetime(t: Timestamp) -> u64 {
    const UNIX_EPOCH_AS_FILETIME: i128 = 116_444_736_000_000_000;
    (t.as_nanosecond() / 100 + UNIX_EPOCH_AS_FILETIME) as u64
}

/// A stable GUID from a template's shape (FNV-1a, twice, with different seeds).
fn shape_guid(shape: &str) -> [u8; 16] {
    let fnv = |seed: u64| {
        shape.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let mut guid = [0u8; 16];
    guid[..8].copy_from_slice(&fnv(0xcbf2_9ce4_8422_2325).to_le_bytes());
    guid[8..].copy_from_slice(&fnv(0x8422_2325_cbf2_9ce4).to_le_bytes());
    guid
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
