//! BinXML emission inside one chunk: names and template definitions are written inline on their
//! first use in the chunk and referenced by chunk offset afterwards, with the chunk's string and
//! template hash tables kept up to date (MS-EVEN6 §3.1.4.4 "Name", libevtx "Template definition").

use std::collections::HashMap;

/// Value types of substitutions (MS-EVEN6 "Value type").
pub(crate) mod ty {
    pub const NULL: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const UINT8: u8 = 0x04;
    pub const UINT16: u8 = 0x06;
    pub const UINT32: u8 = 0x08;
    pub const UINT64: u8 = 0x0a;
    pub const BINARY: u8 = 0x0e;
    pub const GUID: u8 = 0x0f;
    pub const FILETIME: u8 = 0x11;
    pub const SID: u8 = 0x13;
    pub const HEXINT64: u8 = 0x15;
}

/// A node of a template definition.
pub(crate) enum Node {
    Element {
        name: &'static str,
        attrs: Vec<(&'static str, Val)>,
        children: Vec<Node>,
    },
    Value(Val),
}

/// Literal text, or a substitution slot of the given type (optional ones vanish when null).
pub(crate) enum Val {
    Text(String),
    Sub { index: u16, ty: u8, optional: bool },
}

/// The names and templates already written in the current chunk, and its hash tables.
#[derive(Clone)]
pub(crate) struct ChunkTables {
    names: HashMap<String, u32>,
    pub(crate) string_table: [u32; 64],
    string_tails: [u32; 64],
    templates: HashMap<[u8; 16], u32>,
    pub(crate) template_table: [u32; 32],
    template_tails: [u32; 32],
}

impl Default for ChunkTables {
    fn default() -> Self {
        ChunkTables {
            names: HashMap::new(),
            string_table: [0; 64],
            string_tails: [0; 64],
            templates: HashMap::new(),
            template_table: [0; 32],
            template_tails: [0; 32],
        }
    }
}

/// Appends to a chunk buffer whose first byte is chunk offset 0.
pub(crate) struct Emitter<'a> {
    pub(crate) buf: &'a mut Vec<u8>,
    pub(crate) tables: &'a mut ChunkTables,
}

impl Emitter<'_> {
    fn pos(&self) -> u32 {
        self.buf.len() as u32
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    fn patch_u32(&mut self, at: u32, v: u32) {
        self.buf[at as usize..at as usize + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// A name reference: the chunk offset of the name, with the name itself following the
    /// reference on its first use in the chunk.
    fn name(&mut self, name: &str) {
        if let Some(&offset) = self.tables.names.get(name) {
            self.u32(offset);
            return;
        }
        let offset = self.pos() + 4;
        self.u32(offset);
        let hash = name_hash(name);
        self.u32(0); // next name in the same hash bucket
        self.u16(hash);
        self.u16(name.encode_utf16().count() as u16);
        for unit in name.encode_utf16() {
            self.u16(unit);
        }
        self.u16(0);
        self.tables.names.insert(name.to_string(), offset);
        let bucket = usize::from(hash) % 64;
        match self.tables.string_tails[bucket] {
            0 => self.tables.string_table[bucket] = offset,
            tail => self.patch_u32(tail, offset),
        }
        self.tables.string_tails[bucket] = offset;
    }

    fn value(&mut self, val: &Val) {
        match val {
            Val::Text(text) => {
                self.u8(0x05);
                self.u8(ty::STRING);
                self.u16(text.encode_utf16().count() as u16);
                for unit in text.encode_utf16() {
                    self.u16(unit);
                }
            }
            Val::Sub {
                index,
                ty,
                optional,
            } => {
                self.u8(if *optional { 0x0e } else { 0x0d });
                self.u16(*index);
                self.u8(*ty);
            }
        }
    }

    /// An element of a template definition (element starts carry a dependency id there).
    fn element(&mut self, node: &Node) {
        match node {
            Node::Value(val) => self.value(val),
            Node::Element {
                name,
                attrs,
                children,
            } => {
                self.u8(if attrs.is_empty() { 0x01 } else { 0x41 });
                self.u16(0xffff);
                let size_at = self.pos();
                self.u32(0);
                self.name(name);
                if !attrs.is_empty() {
                    let attrs_at = self.pos();
                    self.u32(0);
                    for (i, (attr, val)) in attrs.iter().enumerate() {
                        self.u8(if i + 1 < attrs.len() { 0x46 } else { 0x06 });
                        self.name(attr);
                        self.value(val);
                    }
                    let len = self.pos() - attrs_at - 4;
                    self.patch_u32(attrs_at, len);
                }
                if children.is_empty() {
                    self.u8(0x03);
                } else {
                    self.u8(0x02);
                    for child in children {
                        self.element(child);
                    }
                    self.u8(0x04);
                }
                let len = self.pos() - size_at - 4;
                self.patch_u32(size_at, len);
            }
        }
    }

    /// A template instance: the definition inline on first use in the chunk, then the values.
    pub(crate) fn template_instance(
        &mut self,
        guid: [u8; 16],
        root: &Node,
        values: &[(u8, Vec<u8>)],
    ) {
        let id = u32::from_le_bytes([guid[0], guid[1], guid[2], guid[3]]);
        self.u8(0x0c);
        self.u8(0x01);
        self.u32(id);
        match self.tables.templates.get(&guid) {
            Some(&offset) => self.u32(offset),
            None => {
                let offset = self.pos() + 4;
                self.u32(offset);
                self.u32(0); // next template in the same bucket
                self.buf.extend_from_slice(&guid);
                let size_at = self.pos();
                self.u32(0);
                self.buf.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
                self.element(root);
                self.u8(0x00);
                let len = self.pos() - size_at - 4;
                self.patch_u32(size_at, len);
                self.tables.templates.insert(guid, offset);
                let bucket = (id % 32) as usize;
                match self.tables.template_tails[bucket] {
                    0 => self.tables.template_table[bucket] = offset,
                    tail => self.patch_u32(tail, offset),
                }
                self.tables.template_tails[bucket] = offset;
            }
        }
        self.u32(values.len() as u32);
        for (value_type, bytes) in values {
            self.u16(bytes.len() as u16);
            self.u8(*value_type);
            self.u8(0);
        }
        for (_, bytes) in values {
            self.buf.extend_from_slice(bytes);
        }
    }
}

/// MS-EVEN6 name hash: `hash = hash * 65599 + code unit` over UTF-16, low 16 bits.
fn name_hash(name: &str) -> u16 {
    name.encode_utf16().fold(0u32, |h, c| {
        h.wrapping_mul(65599).wrapping_add(u32::from(c))
    }) as u16
}

/// A SID string (`S-1-5-18`) in its binary form; `None` when malformed.
pub(crate) fn sid_bytes(sid: &str) -> Option<Vec<u8>> {
    let mut parts = sid.strip_prefix("S-")?.split('-');
    let revision: u8 = parts.next()?.parse().ok()?;
    let authority: u64 = parts.next()?.parse().ok()?;
    let subs: Vec<u32> = parts.map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let mut out = vec![revision, subs.len() as u8];
    out.extend_from_slice(&authority.to_be_bytes()[2..]);
    for s in subs {
        out.extend_from_slice(&s.to_le_bytes());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_encode_like_windows() {
        assert_eq!(
            sid_bytes("S-1-5-18").unwrap(),
            [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]
        );
        assert_eq!(sid_bytes("nonsense"), None);
    }
}
