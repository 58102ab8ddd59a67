//! The "is it a service program?" check, over the `object` crate's PE reader.
//!
//! A program started by the Service Control Manager must connect back to it
//! (`StartServiceCtrlDispatcher`), register a control handler (`RegisterServiceCtrlHandler[Ex]`)
//! and report its status (`SetServiceStatus`), all in advapi32 / sechost. A program that imports
//! none of them is given up on at the ServicesPipeTimeout every time it is started as a service
//! (7009, 7000 `%%1053`) — and runs until then. A service DLL hosted by svchost exports
//! `ServiceMain` instead.
//!
//! The check reads the import table, the delay-load import table and the export table. It is a
//! static check, and says what it cannot see: a .NET program imports only `mscoree.dll` (the
//! runtime makes the calls), and a program importing `GetProcAddress` may resolve the functions
//! at run time.
//!
//! ```no_run
//! let report = konseki_pe::inspect("C:/tmp/TestWriteFile.exe".as_ref()).unwrap();
//! println!("{:?} {}", report.kind, report.sha256);
//! ```
#![deny(missing_docs)]

use std::io::Read;
use std::path::{Path, PathBuf};

use object::pe::ImageNtHeaders64;
use object::read::pe::{ImageNtHeaders, ImageThunkData, PeFile};
use object::{FileKind, LittleEndian as LE, Object};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Larger files are not read: service programs are far smaller, and the check holds the whole
/// file in memory.
pub const MAX_SIZE: u64 = 256 * 1024 * 1024;

/// Import entries read at most, over all tables: a packed or crafted file can describe
/// thousands of garbage descriptors (`docs/formats.md`, "PE imports").
const MAX_IMPORTS: usize = 20_000;

/// The service-control functions a service program calls (the A/W/Ex variants).
const SERVICE_APIS: [&str; 7] = [
    "StartServiceCtrlDispatcherA",
    "StartServiceCtrlDispatcherW",
    "RegisterServiceCtrlHandlerA",
    "RegisterServiceCtrlHandlerW",
    "RegisterServiceCtrlHandlerExA",
    "RegisterServiceCtrlHandlerExW",
    "SetServiceStatus",
];

/// Functions that let a program find the service-control functions at run time instead.
const RUNTIME_RESOLUTION: [&str; 3] = ["GetProcAddress", "LdrGetProcedureAddress", "LoadLibraryW"];

/// What the program can be, from its imports and exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramKind {
    /// An executable importing the service-control functions.
    ServiceProgram,
    /// A DLL exporting `ServiceMain` (hosted by svchost).
    ServiceDll,
    /// An executable importing none of them: started as a service, it is killed at the
    /// ServicesPipeTimeout (unless it resolves them at run time).
    PlainProgram,
    /// A DLL without `ServiceMain`.
    PlainDll,
    /// A .NET program: the runtime makes the calls, imports cannot tell.
    Managed,
}

/// The check of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeReport {
    /// The file read.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// SHA-1, lower-case hex (what Amcache records).
    pub sha1: String,
    /// `x64`, `x86`, `arm64`, or the machine number.
    pub machine: String,
    /// The conclusion.
    pub kind: ProgramKind,
    /// Service-control functions imported, as `library!function` (delay-loaded ones marked).
    pub service_imports: Vec<String>,
    /// Run-time resolution functions imported (`GetProcAddress`…).
    pub runtime_resolution: Vec<String>,
    /// Exports `ServiceMain`.
    pub exports_service_main: bool,
}

/// Why a file could not be checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PeError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Larger than [`MAX_SIZE`].
    #[error("{path}: {size} bytes, larger than the {MAX_SIZE} bytes the PE check reads")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// Not a PE image, or one too damaged to read.
    #[error("{path}: not a readable PE image: {reason}")]
    NotPe {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        reason: String,
    },
}

/// Reads and checks the file at `path` (opened read-only).
pub fn inspect(path: &Path) -> Result<PeReport, PeError> {
    let io = |source| PeError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = konseki_source::open(path).map_err(io)?;
    let size = file.len().map_err(io)?;
    if size > MAX_SIZE {
        return Err(PeError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    let mut data = Vec::with_capacity(size as usize);
    file.take(MAX_SIZE).read_to_end(&mut data).map_err(io)?;
    check(path, &data)
}

/// Checks an image already in memory.
pub fn check(path: &Path, data: &[u8]) -> Result<PeReport, PeError> {
    let not_pe = |reason: String| PeError::NotPe {
        path: path.to_path_buf(),
        reason,
    };
    let read = match FileKind::parse(data).map_err(|e| not_pe(e.to_string()))? {
        FileKind::Pe32 => read_image::<object::pe::ImageNtHeaders32>(data),
        FileKind::Pe64 => read_image::<ImageNtHeaders64>(data),
        other => return Err(not_pe(format!("a {other:?} file, not a PE image"))),
    };
    let image = read.map_err(|e| not_pe(e.to_string()))?;
    let is_import = |list: &[&str], name: &str| list.contains(&name);
    let service_imports: Vec<String> = image
        .imports
        .iter()
        .filter(|i| is_import(&SERVICE_APIS, &i.function))
        .map(Imported::label)
        .collect();
    let runtime_resolution: Vec<String> = image
        .imports
        .iter()
        .filter(|i| is_import(&RUNTIME_RESOLUTION, &i.function))
        .map(Imported::label)
        .collect();
    let managed = image
        .imports
        .iter()
        .any(|i| i.library.eq_ignore_ascii_case("mscoree.dll"));
    let kind = match (image.dll, image.exports_service_main, managed) {
        (_, _, true) => ProgramKind::Managed,
        (true, true, _) => ProgramKind::ServiceDll,
        (true, false, _) => ProgramKind::PlainDll,
        (false, _, _) if !service_imports.is_empty() => ProgramKind::ServiceProgram,
        (false, _, _) => ProgramKind::PlainProgram,
    };
    Ok(PeReport {
        path: path.to_path_buf(),
        size: data.len() as u64,
        sha256: hex(&Sha256::digest(data)),
        sha1: hex(&Sha1::digest(data)),
        machine: image.machine,
        kind,
        service_imports,
        runtime_resolution,
        exports_service_main: image.exports_service_main,
    })
}

struct Image {
    machine: String,
    dll: bool,
    imports: Vec<Imported>,
    exports_service_main: bool,
}

struct Imported {
    library: String,
    function: String,
    delayed: bool,
}

impl Imported {
    fn label(&self) -> String {
        let delayed = if self.delayed { " (delay-loaded)" } else { "" };
        format!("{}!{}{delayed}", self.library, self.function)
    }
}

fn read_image<Pe: ImageNtHeaders>(data: &[u8]) -> object::Result<Image> {
    let file = PeFile::<Pe>::parse(data)?;
    let header = file.nt_headers().file_header();
    let machine = match header.machine.get(LE) {
        object::pe::IMAGE_FILE_MACHINE_AMD64 => "x64".to_string(),
        object::pe::IMAGE_FILE_MACHINE_I386 => "x86".to_string(),
        object::pe::IMAGE_FILE_MACHINE_ARM64 => "arm64".to_string(),
        other => format!("0x{other:04x}"),
    };
    let dll =
        header.characteristics.get(LE) & object::pe::IMAGE_FILE_DLL != object::pe::FileFlags(0);
    let mut imports = Vec::new();
    if let Some(table) = file.import_table()? {
        let mut descriptors = table.descriptors()?;
        while let Some(d) = descriptors.next()? {
            if imports.len() >= MAX_IMPORTS {
                break;
            }
            let library = String::from_utf8_lossy(table.name(d.name.get(LE))?).into_owned();
            let first = match d.original_first_thunk.get(LE) {
                0 => d.first_thunk.get(LE),
                lookup => lookup,
            };
            let mut thunks = table.thunks(first)?;
            while let Some(thunk) = thunks.next::<Pe>()? {
                if imports.len() >= MAX_IMPORTS {
                    break;
                }
                if let object::read::pe::Import::Name(_, name) = table.import::<Pe>(thunk)? {
                    imports.push(Imported {
                        library: library.clone(),
                        function: String::from_utf8_lossy(name).into_owned(),
                        delayed: false,
                    });
                }
            }
        }
    }
    if let Some(table) = file.delay_load_import_table()? {
        let mut descriptors = table.descriptors()?;
        while let Some(d) = descriptors.next()? {
            if imports.len() >= MAX_IMPORTS {
                break;
            }
            let library = String::from_utf8_lossy(table.name(d.dll_name_rva.get(LE))?).into_owned();
            let mut thunks = table.thunks(d.import_name_table_rva.get(LE))?;
            while let Some(thunk) = thunks.next::<Pe>()? {
                if imports.len() >= MAX_IMPORTS {
                    break;
                }
                if thunk.is_ordinal() {
                    continue;
                }
                if let object::read::pe::Import::Name(_, name) = table.import::<Pe>(thunk)? {
                    imports.push(Imported {
                        library: library.clone(),
                        function: String::from_utf8_lossy(name).into_owned(),
                        delayed: true,
                    });
                }
            }
        }
    }
    let mut exports_service_main = false;
    for export in file.exports()? {
        if export?.name() == object::NameOrOrdinal::Name(&b"ServiceMain"[..]) {
            exports_service_main = true;
            break;
        }
    }
    Ok(Image {
        machine,
        dll,
        imports,
        exports_service_main,
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
