//! What a service's program file says about its runs: a plain program (no service-control
//! imports) started as a service is given up on at the ServicesPipeTimeout every time — its
//! timeouts are runs of the program by construction, not failures to start it.

use std::sync::Arc;

use konseki_model::{
    Attention, EvidenceItem, Flag, ProgramFile, ProgramKind, Provenance, RunOutcome, RunWindow,
};

/// The evidence item for a checked program file.
pub(crate) fn program_item(p: &ProgramFile) -> EvidenceItem {
    let what = match p.kind {
        ProgramKind::ServiceProgram => format!(
            "a service program: imports {}",
            p.service_imports.join(", ")
        ),
        ProgramKind::ServiceDll => "a service DLL: exports ServiceMain".to_string(),
        ProgramKind::PlainProgram => {
            "a plain program: imports none of the service-control functions".to_string()
        }
        ProgramKind::PlainDll => "a DLL without a ServiceMain export".to_string(),
        ProgramKind::Managed => {
            "a .NET program (imports mscoree.dll): the runtime reports to the SCM, imports cannot tell"
                .to_string()
        }
        ProgramKind::NotPe => format!(
            "not a readable PE image ({})",
            p.problem.as_deref().unwrap_or("?")
        ),
    };
    let hash = if p.sha256.is_empty() {
        String::new()
    } else {
        format!(", sha256 {}", p.sha256)
    };
    EvidenceItem {
        source: Provenance::File {
            file: Arc::from(p.file.as_path()),
        },
        time: None,
        summary: format!("{} in the evidence{hash}: {what}", p.windows_path).into(),
    }
}

/// `plain_program_as_service`, for each plain program a service names.
pub(crate) fn program_flags(programs: &[ProgramFile]) -> Vec<Attention> {
    programs
        .iter()
        .filter(|p| p.kind == ProgramKind::PlainProgram)
        .map(|p| Attention {
            id: Flag::PlainProgramAsService,
            reason: format!(
                "{} imports none of StartServiceCtrlDispatcher, RegisterServiceCtrlHandler(Ex) or SetServiceStatus: started as a service it cannot connect to the SCM, which gives up at the ServicesPipeTimeout (7009, 7000 %%1053) every time; the program runs until then{}",
                p.windows_path,
                if p.runtime_resolution.is_empty() {
                    String::new()
                } else {
                    format!(
                        ". It imports {}: it could still find them at run time, so this is likely, not certain",
                        p.runtime_resolution.join(", ")
                    )
                }
            ),
            evidence: vec![program_item(p)],
        })
        .collect()
}

/// A sentence for the verdict's rationale, when the program file explains the runs' endings.
pub(crate) fn program_rationale(programs: &[ProgramFile], runs: &[RunWindow]) -> Option<String> {
    let timed_out = runs
        .iter()
        .filter(|r| matches!(r.outcome, RunOutcome::TimedOut { .. }))
        .count();
    if timed_out == 0 {
        return None;
    }
    let plain = programs
        .iter()
        .find(|p| p.kind == ProgramKind::PlainProgram);
    let service = programs
        .iter()
        .find(|p| p.kind == ProgramKind::ServiceProgram);
    match (plain, service) {
        (Some(p), _) => Some(format!(
            "The program file {} is a plain program (no service-control imports): every start as a service ends at the timeout by construction. The {timed_out} timeout(s) are runs of the program, not failures to start it.",
            p.windows_path
        )),
        (None, Some(p)) => Some(format!(
            "The program file {} imports the service-control functions, yet {timed_out} start(s) timed out: the program was slow or blocked before it connected, not unable to.",
            p.windows_path
        )),
        _ => None,
    }
}
