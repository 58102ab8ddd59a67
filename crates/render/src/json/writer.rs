//! A serde serialiser that writes compact JSON into a `Vec<u8>`, byte for byte what
//! `serde_json::to_writer` writes (tested, here and on a whole corpus report).
//!
//! Why our own: serde_json writes through `io::Write`, each `{`, `,` and `"` and each clean
//! stretch of a string a call of its own. Here every piece lands in one growable buffer, and a
//! string is checked for characters to escape eight bytes at a time. On the corpus's 7 MB
//! report, one thread, into a warm buffer: 12-19 % less time than serde_json (e.g. 12.4 ->
//! 10.5 ms); most of the rest is reading the report's strings from memory. Numbers other than
//! integers (none in a report today) are left to serde_json, so they read the same.

use std::fmt::{self, Write as _};

use serde::ser::{self, Impossible, Serialize};

/// serde_json's error type: a `Serialize` impl's own error (`ser::Error::custom`) and a key
/// serde_json refuses come out as they would from serde_json, and convert to `io::Error` alike.
pub(crate) type Error = serde_json::Error;
type Result<T = ()> = std::result::Result<T, Error>;

/// Appends the compact JSON of `value` to `buffer`.
pub(crate) fn write<T: Serialize + ?Sized>(buffer: &mut Vec<u8>, value: &T) -> Result {
    value.serialize(&mut Json { out: buffer })
}

/// The serialiser: a buffer written to.
pub(crate) struct Json<'a> {
    out: &'a mut Vec<u8>,
}

impl Json<'_> {
    /// An externally tagged variant's opening, `{"variant":`, then `after` (`[` or `{` for
    /// a tuple or struct variant, nothing for a newtype variant).
    fn open_variant(&mut self, variant: &str, after: &[u8]) {
        self.out.push(b'{');
        string(self.out, variant);
        self.out.push(b':');
        self.out.extend_from_slice(after);
    }
}

/// What needs escaping, as serde_json escapes it: 0 for nothing, else the letter after `\`
/// (`u` for `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Whether any of eight bytes is a control character, `"` or `\` (the bytes JSON escapes).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero iff its bit 7 is set in (x - 1) & !x (the classic test; a byte
    // borrowing from a zero byte below it can be flagged too, but only when one is zero).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    (control | zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')))) != 0
}

/// `text` as a JSON string, quotes included. Most strings need no escaping, and the others
/// few escapes (a path's `\`): the clean stretches are found eight bytes at a time and copied
/// whole.
fn string(out: &mut Vec<u8>, text: &str) {
    let mut rest = text.as_bytes();
    out.reserve(rest.len() + 2);
    out.push(b'"');
    loop {
        let clean = clean_prefix(rest);
        out.extend_from_slice(&rest[..clean]);
        let Some((&byte, after)) = rest[clean..].split_first() else {
            break;
        };
        escaped(out, byte);
        rest = after;
    }
    out.push(b'"');
}

/// How many bytes at the start of `bytes` need no escaping.
fn clean_prefix(bytes: &[u8]) -> usize {
    let mut clean = 0;
    for word in bytes.chunks_exact(8) {
        let eight: [u8; 8] = word.try_into().unwrap_or_default();
        if needs_escape(u64::from_le_bytes(eight)) {
            break;
        }
        clean += 8;
    }
    clean
        + bytes[clean..]
            .iter()
            .position(|&byte| ESCAPE[usize::from(byte)] != 0)
            .unwrap_or(bytes.len() - clean)
}

/// One byte that needs escaping, escaped.
#[cold]
fn escaped(out: &mut Vec<u8>, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ESCAPE[usize::from(byte)] {
        b'u' => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0xf)],
        ]),
        letter => out.extend_from_slice(&[b'\\', letter]),
    }
}

fn integer(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

fn json_integer(json: &mut Json<'_>, value: impl itoa::Integer) -> Result {
    integer(json.out, value);
    Ok(())
}

/// A number as a map key: quoted, as serde_json writes it.
fn key_integer(key: Key<'_>, value: impl itoa::Integer) -> Result {
    key.out.push(b'"');
    integer(key.out, value);
    key.out.push(b'"');
    Ok(())
}

/// The `serialize_{i,u}{8,16,32,64,128}` methods, each calling `$with(self, value)`.
macro_rules! integers {
    ($with:ident) => {
        integers!($with: serialize_i8 i8, serialize_i16 i16, serialize_i32 i32,
            serialize_i64 i64, serialize_i128 i128, serialize_u8 u8, serialize_u16 u16,
            serialize_u32 u32, serialize_u64 u64, serialize_u128 u128);
    };
    ($with:ident: $($method:ident $type:ty),*) => {$(
        fn $method(self, value: $type) -> Result {
            $with(self, value)
        }
    )*};
}

/// A `Display` written as a JSON string, through a reused buffer rather than a new `String`.
fn displayed<T: fmt::Display + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result {
    thread_local! {
        static TEXT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    TEXT.with(|text| {
        // A `Display` that writes another value's `Display` (re-entry) gets a fresh buffer.
        let mut fresh = String::new();
        let mut borrowed = text.try_borrow_mut();
        let text = borrowed.as_deref_mut().unwrap_or(&mut fresh);
        text.clear();
        write!(text, "{value}").map_err(|_| ser::Error::custom("a value could not be written"))?;
        string(out, text);
        Ok(())
    })
}

impl<'a, 'b> ser::Serializer for &'a mut Json<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, value: bool) -> Result {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }
    integers!(json_integer);
    fn serialize_f32(self, value: f32) -> Result {
        serde_json::to_writer(&mut *self.out, &value)
    }
    fn serialize_f64(self, value: f64) -> Result {
        serde_json::to_writer(&mut *self.out, &value)
    }
    fn serialize_char(self, value: char) -> Result {
        string(self.out, value.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, value: &str) -> Result {
        string(self.out, value);
        Ok(())
    }
    fn serialize_bytes(self, value: &[u8]) -> Result {
        // As serde_json: an array of numbers.
        let mut seq = ser::Serializer::serialize_seq(self, Some(value.len()))?;
        for byte in value {
            ser::SerializeSeq::serialize_element(&mut seq, byte)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.open_variant(variant, b"");
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'b>> {
        self.out.push(b'[');
        Ok(Compound::new(self, b"]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'b>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>> {
        self.open_variant(variant, b"[");
        Ok(Compound::new(self, b"]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'b>> {
        self.out.push(b'{');
        Ok(Compound::new(self, b"}"))
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'b>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'b>> {
        self.open_variant(variant, b"{");
        Ok(Compound::new(self, b"}}"))
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result {
        displayed(self.out, value)
    }
}

/// An array, object or variant being written: a comma before every item but the first, and
/// the closing bytes at the end.
pub(crate) struct Compound<'a, 'b> {
    json: &'a mut Json<'b>,
    first: bool,
    close: &'static [u8],
}

impl<'a, 'b> Compound<'a, 'b> {
    fn new(json: &'a mut Json<'b>, close: &'static [u8]) -> Self {
        Compound {
            json,
            first: true,
            close,
        }
    }

    fn comma(&mut self) {
        if !self.first {
            self.json.out.push(b',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.comma();
        value.serialize(&mut *self.json)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result {
        self.comma();
        string(self.json.out, key);
        self.json.out.push(b':');
        value.serialize(&mut *self.json)
    }

    fn close(self) -> Result {
        self.json.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// The compound traits whose items are elements (`[a,b]`) or fields (`{"k":v}`): each is
/// [`Compound::element`] or [`Compound::field`], then [`Compound::close`].
macro_rules! compound {
    ($($trait:ident :: $method:ident => $item:ident;)*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
                self.$item(value)
            }
            fn end(self) -> Result {
                self.close()
            }
        }
    )*};
}

compound! {
    SerializeSeq::serialize_element => element;
    SerializeTuple::serialize_element => element;
    SerializeTupleStruct::serialize_field => element;
    SerializeTupleVariant::serialize_field => element;
}

macro_rules! struct_compound {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
                self.field(key, value)
            }
            fn end(self) -> Result {
                self.close()
            }
        }
    )*};
}

struct_compound!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.comma();
        key.serialize(Key {
            out: &mut *self.json.out,
        })?;
        self.json.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut *self.json)
    }
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result {
        ser::SerializeMap::serialize_key(self, key)?;
        self.serialize_value(value)
    }
    fn end(self) -> Result {
        self.close()
    }
}

/// A map key: strings as they are, and as serde_json does, numbers, booleans and characters
/// written as strings; anything else is an error (with serde_json's message).
struct Key<'a> {
    out: &'a mut Vec<u8>,
}

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

impl Key<'_> {
    /// A finite number, quoted; serde_json refuses the others.
    fn float(self, finite: bool, value: &impl Serialize) -> Result {
        if !finite {
            return Err(ser::Error::custom(
                "float key must be finite (got NaN or +/-inf)",
            ));
        }
        self.out.push(b'"');
        serde_json::to_writer(&mut *self.out, value)?;
        self.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, value: &str) -> Result {
        string(self.out, value);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }
    fn serialize_bool(self, value: bool) -> Result {
        self.serialize_str(if value { "true" } else { "false" })
    }
    integers!(key_integer);
    fn serialize_f32(self, value: f32) -> Result {
        self.float(f64::from(value).is_finite(), &value)
    }
    fn serialize_f64(self, value: f64) -> Result {
        self.float(value.is_finite(), &value)
    }
    fn serialize_char(self, value: char) -> Result {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }
    fn serialize_bytes(self, _value: &[u8]) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result {
        displayed(self.out, value)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    fn ours<T: Serialize + ?Sized>(value: &T) -> String {
        let mut buffer = Vec::new();
        write(&mut buffer, value).unwrap();
        String::from_utf8(buffer).unwrap()
    }

    fn same<T: Serialize + ?Sized>(value: &T) {
        assert_eq!(ours(value), serde_json::to_string(value).unwrap());
    }

    /// Every character below 0x80 and some beyond, alone and at each place in an eight-byte
    /// word (the fast check's unit), as serde_json writes them.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut characters: Vec<char> = (0u8..0x80).map(char::from).collect();
        characters.extend([
            'é', 'ß', '€', '痕', '跡', '\u{7ff}', '\u{ffff}', '😀', '\u{2028}',
        ]);
        for c in characters {
            for before in 0..17 {
                for after in [0, 1, 7, 8, 9] {
                    let text = format!("{}{c}{}", "a".repeat(before), "b".repeat(after));
                    same(&text);
                }
            }
            same(&c);
        }
        same(r"C:\Windows\System32\svchost.exe -k netsvcs");
        same("\"quoted\" \\\\server\\share\r\n\ttab\u{1b}[31m\u{0}\u{7f}");
        same("");
    }

    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Tagged {
        Unit,
        Fields { a: u8, b: Option<String> },
    }

    #[derive(Serialize)]
    enum External {
        Unit,
        Newtype(i64),
        Tuple(u8, char),
        Struct { x: bool },
    }

    #[derive(Serialize)]
    struct Inner {
        z: u128,
    }

    #[derive(Serialize)]
    struct Everything<'a> {
        flag: bool,
        small: i8,
        big: i128,
        max: u64,
        min: i64,
        float: f64,
        nan: f32,
        none: Option<u8>,
        unit: (),
        tuple: (u8, &'a str, [u16; 2]),
        #[serde(with = "serde_bytes_as_seq")]
        bytes: &'a [u8],
        tagged: Vec<Tagged>,
        external: Vec<External>,
        map: BTreeMap<u32, &'a str>,
        names: BTreeMap<&'a str, Vec<bool>>,
        #[serde(flatten)]
        inner: Inner,
        empty: Vec<u8>,
        time: jiff::Timestamp,
        path: &'a std::path::Path,
    }

    /// `serialize_bytes` itself, which derives do not reach.
    mod serde_bytes_as_seq {
        pub fn serialize<S: serde::Serializer>(bytes: &&[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(bytes)
        }
    }

    #[test]
    fn every_kind_of_value_reads_as_serde_jsons() {
        let value = Everything {
            flag: true,
            small: -128,
            big: i128::MIN,
            max: u64::MAX,
            min: i64::MIN,
            float: 0.1 + 0.2,
            nan: f32::NAN,
            none: None,
            unit: (),
            tuple: (7, "x\"y", [0, 65535]),
            bytes: &[0, 1, 255],
            tagged: vec![
                Tagged::Unit,
                Tagged::Fields {
                    a: 1,
                    b: Some("c\\d".to_string()),
                },
                Tagged::Fields { a: 2, b: None },
            ],
            external: vec![
                External::Unit,
                External::Newtype(-5),
                External::Tuple(3, '\n'),
                External::Struct { x: false },
            ],
            map: BTreeMap::from([(1, "one"), (20, "twenty")]),
            names: BTreeMap::from([("a\tb", vec![true, false]), ("", vec![])]),
            inner: Inner { z: u128::MAX },
            empty: Vec::new(),
            time: "2021-11-03T08:15:15.2269567Z".parse().unwrap(),
            path: std::path::Path::new(r"C:\tmp\test.txt"),
        };
        same(&value);
    }

    #[test]
    fn a_key_that_is_not_a_string_fails_as_in_serde_json() {
        let map = BTreeMap::from([(vec![1u8], 1u8)]);
        let mut buffer = Vec::new();
        assert!(write(&mut buffer, &map).is_err());
        assert!(serde_json::to_string(&map).is_err());
    }
}
