//! The typed description of one event to write.

use jiff::Timestamp;

/// One event: the `System` fields Windows writes and named `EventData`.
#[derive(Debug, Clone, PartialEq)]
pub struct EvtxEvent {
    /// `Provider/@Name`.
    pub provider: String,
    /// `Provider/@Guid`.
    pub provider_guid: Option<[u8; 16]>,
    /// `Provider/@EventSourceName` (classic providers such as the SCM).
    pub event_source_name: Option<String>,
    /// `EventID`.
    pub event_id: u16,
    /// `EventID/@Qualifiers`.
    pub qualifiers: Option<u16>,
    /// `Level`.
    pub level: u8,
    /// `Task`.
    pub task: u16,
    /// `Keywords`.
    pub keywords: u64,
    /// `TimeCreated/@SystemTime`; also the record header's write time.
    pub time: Timestamp,
    /// `Execution/@ProcessID`.
    pub process_id: u32,
    /// `Execution/@ThreadID`.
    pub thread_id: u32,
    /// `Channel`.
    pub channel: String,
    /// `Computer`.
    pub computer: String,
    /// `Security/@UserID`, as an `S-1-…` string.
    pub user_sid: Option<String>,
    /// Named `EventData/Data` elements, in order.
    pub data: Vec<(String, String)>,
    /// `EventData/Binary`.
    pub binary: Option<Vec<u8>>,
}

/// The SCM provider GUID (its events: `docs/windows-facts.md`, "SCM and Security events").
const SCM_GUID: [u8; 16] = guid(
    0x555908d1,
    0xa6d7,
    0x4695,
    [0x8e, 0x1e, 0x26, 0x93, 0x1d, 0x20, 0x12, 0xf4],
);

/// A GUID in its on-disk layout (Data1..3 little-endian).
pub const fn guid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> [u8; 16] {
    let a = d1.to_le_bytes();
    let b = d2.to_le_bytes();
    let c = d3.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5],
        d4[6], d4[7],
    ]
}

impl EvtxEvent {
    /// A System-channel event of the Service Control Manager, as Windows logs it.
    pub fn scm(event_id: u16, qualifiers: u16, time: Timestamp, computer: &str) -> EvtxEvent {
        EvtxEvent {
            provider: "Service Control Manager".into(),
            provider_guid: Some(SCM_GUID),
            event_source_name: Some("Service Control Manager".into()),
            event_id,
            qualifiers: Some(qualifiers),
            level: if qualifiers >= 0xC000 { 2 } else { 4 },
            task: 0,
            keywords: 0x8080_0000_0000_0000,
            time,
            process_id: 640,
            thread_id: 700,
            channel: "System".into(),
            computer: computer.into(),
            user_sid: None,
            data: Vec::new(),
            binary: None,
        }
    }

    /// An event of another provider/channel (Security, Sysmon, EventLog…).
    pub fn new(
        provider: &str,
        channel: &str,
        event_id: u16,
        time: Timestamp,
        computer: &str,
    ) -> EvtxEvent {
        EvtxEvent {
            provider: provider.into(),
            provider_guid: None,
            event_source_name: None,
            event_id,
            qualifiers: None,
            level: 4,
            task: 0,
            keywords: 0x8000_0000_0000_0000,
            time,
            process_id: 4,
            thread_id: 8,
            channel: channel.into(),
            computer: computer.into(),
            user_sid: None,
            data: Vec::new(),
            binary: None,
        }
    }

    /// Adds a named `Data` element.
    pub fn data(mut self, name: &str, value: &str) -> EvtxEvent {
        self.data.push((name.into(), value.into()));
        self
    }

    /// Sets `Binary` to UTF-16LE text with its NUL, as the SCM writes a service key name.
    pub fn binary_text(mut self, text: &str) -> EvtxEvent {
        let mut bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        bytes.extend_from_slice(&[0, 0]);
        self.binary = Some(bytes);
        self
    }

    /// Sets `EventID/@Qualifiers`.
    pub fn qualifiers(mut self, qualifiers: u16) -> EvtxEvent {
        self.qualifiers = Some(qualifiers);
        self
    }

    /// Sets `Security/@UserID`.
    pub fn user(mut self, sid: &str) -> EvtxEvent {
        self.user_sid = Some(sid.into());
        self
    }
}
