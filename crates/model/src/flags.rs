//! The reasons konseki gives an examiner to look closer, as types: correlation decides them,
//! renderers print them, and nothing decides anything by matching their text.

use serde::{Deserialize, Serialize};

/// An attention flag: what about an entry deserves a look. Serialised as its stable id
/// (`raised_pipe_timeout`, …), which the report's readers and the README use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A service's program lies where a standard user can write.
    UserWritableImage,
    /// An auto-start service's program lies outside %SystemRoot% and Program Files.
    NonStandardImageLocation,
    /// A service's ImagePath runs a command interpreter.
    InterpreterImage,
    /// A Windows program that is not a service is a service's image.
    NonServiceProgramImage,
    /// A service's ImagePath echoes into a named pipe (the getsystem impersonation pattern).
    NamedPipeImpersonation,
    /// An unquoted ImagePath with spaces.
    UnquotedPathWithSpaces,
    /// The service was installed inside the period the logs cover.
    InstalledWithinLogs,
    /// The configured ImagePath differs from the one logged at install.
    ImagePathDiffersFromInstall,
    /// The ImagePath differs between control sets.
    ImagePathDiffersBetweenControlSets,
    /// FailureActions run a command.
    RecoveryRunsCommand,
    /// FailureActions restart a failing or suspicious service.
    RecoveryRestarts,
    /// ServicesPipeTimeout is raised above Windows' default.
    RaisedPipeTimeout,
    /// A child of the service program outlived its run.
    ChildOutlivedService,
    /// A plain program (no service-control imports) registered as a service.
    PlainProgramAsService,
    /// The program file differs from what Amcache recorded of it.
    ProgramDiffersFromAmcache,
    /// An autostart command starts a LOLBin.
    LolbinCommand,
    /// An autostart program lies in a user profile.
    ProgramInProfile,
    /// An autostart or task program lies where a standard user can write.
    UserWritableProgram,
    /// A registry value name hidden from regedit (NUL-prefixed or empty).
    HiddenValueName,
    /// A logged registry change was made by a program in a user-writable place.
    ChangedByUserWritableProcess,
    /// An autostart or task command runs an interpreter.
    InterpreterCommand,
    /// A value Windows sets itself holds something else.
    NotDefaultValue,
    /// A per-user COM class overrides the machine's registration of the same class.
    ComClassOverridden,
    /// A Startup folder file the $MFT shows deleted.
    DeletedAutostartFile,
    /// A Startup file's $STANDARD_INFORMATION creation precedes its $FILE_NAME one (timestomp).
    SiCreatedBeforeFn,
    /// The same value differs between users.
    ValueDiffersBetweenUsers,
    /// A task hidden from its listing (`Hidden` setting).
    HiddenTask,
    /// A task registered with its security descriptor removed (Tarrask).
    TaskSecurityDescriptorRemoved,
    /// A registered task whose file is gone.
    TaskFileMissing,
    /// A task's cached actions differ from its file's.
    TaskActionsDiffer,
    /// A task file the Task Scheduler's cache does not register.
    TaskNotRegistered,
    /// A stock Windows service (by name, in the baseline) runs another program or ServiceDll
    /// than Windows' own.
    StockServiceProgramChanged,
}

impl Flag {
    /// The stable id, as serialised.
    pub fn as_str(&self) -> &'static str {
        match self {
            Flag::UserWritableImage => "user_writable_image",
            Flag::NonStandardImageLocation => "non_standard_image_location",
            Flag::InterpreterImage => "interpreter_image",
            Flag::NonServiceProgramImage => "non_service_program_image",
            Flag::NamedPipeImpersonation => "named_pipe_impersonation",
            Flag::UnquotedPathWithSpaces => "unquoted_path_with_spaces",
            Flag::InstalledWithinLogs => "installed_within_logs",
            Flag::ImagePathDiffersFromInstall => "image_path_differs_from_install",
            Flag::ImagePathDiffersBetweenControlSets => "image_path_differs_between_control_sets",
            Flag::RecoveryRunsCommand => "recovery_runs_command",
            Flag::RecoveryRestarts => "recovery_restarts",
            Flag::RaisedPipeTimeout => "raised_pipe_timeout",
            Flag::ChildOutlivedService => "child_outlived_service",
            Flag::PlainProgramAsService => "plain_program_as_service",
            Flag::ProgramDiffersFromAmcache => "program_differs_from_amcache",
            Flag::LolbinCommand => "lolbin_command",
            Flag::ProgramInProfile => "program_in_profile",
            Flag::UserWritableProgram => "user_writable_program",
            Flag::HiddenValueName => "hidden_value_name",
            Flag::ChangedByUserWritableProcess => "changed_by_user_writable_process",
            Flag::InterpreterCommand => "interpreter_command",
            Flag::NotDefaultValue => "not_default_value",
            Flag::ComClassOverridden => "com_class_overridden",
            Flag::DeletedAutostartFile => "deleted_autostart_file",
            Flag::SiCreatedBeforeFn => "si_created_before_fn",
            Flag::ValueDiffersBetweenUsers => "value_differs_between_users",
            Flag::HiddenTask => "hidden_task",
            Flag::TaskSecurityDescriptorRemoved => "task_security_descriptor_removed",
            Flag::TaskFileMissing => "task_file_missing",
            Flag::TaskActionsDiffer => "task_actions_differ",
            Flag::TaskNotRegistered => "task_not_registered",
            Flag::StockServiceProgramChanged => "stock_service_program_changed",
        }
    }
}

impl std::fmt::Display for Flag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compared with an id as serialised (`flag == "raised_pipe_timeout"`): what a reader of the
/// report would write.
impl PartialEq<&str> for Flag {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A scheduled task's life as the evidence shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum TaskStatus {
    /// Its file or cache entry is there, and a registration is logged.
    #[serde(rename = "present")]
    Present,
    /// Its file or cache entry is there; no registration is in the logs.
    #[serde(rename = "present (no registration in the logs)")]
    PresentUnlogged,
    /// Registered, then deleted, and gone from the evidence.
    #[serde(rename = "persisted then removed")]
    PersistedThenRemoved,
    /// A deletion is logged; nothing else of it remains.
    #[serde(rename = "removed")]
    Removed,
    /// Registered in the logs; its file is not in the evidence.
    #[serde(rename = "registered (its file is not in the evidence)")]
    RegisteredFileAbsent,
}

impl TaskStatus {
    /// The words a table shows (as serialised).
    pub fn label(&self) -> &'static str {
        match self {
            TaskStatus::Present => "present",
            TaskStatus::PresentUnlogged => "present (no registration in the logs)",
            TaskStatus::PersistedThenRemoved => "persisted then removed",
            TaskStatus::Removed => "removed",
            TaskStatus::RegisteredFileAbsent => "registered (its file is not in the evidence)",
        }
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_labels_are_what_serde_writes() {
        for flag in [
            Flag::UserWritableImage,
            Flag::ImagePathDiffersBetweenControlSets,
            Flag::SiCreatedBeforeFn,
            Flag::TaskNotRegistered,
        ] {
            let json = serde_json::to_value(flag).unwrap();
            assert_eq!(json.as_str().unwrap(), flag.as_str());
        }
        for status in [
            TaskStatus::PresentUnlogged,
            TaskStatus::RegisteredFileAbsent,
        ] {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json.as_str().unwrap(), status.label());
        }
    }
}
