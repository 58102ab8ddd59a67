//! The `FailureActions` REG_BINARY value: SERVICE_FAILURE_ACTIONS serialised with 32-bit fields.
//!
//! Layout (MS-SCMR 2.2.37 SERVICE_FAILURE_ACTIONS_WOW64, 2.2.40 SC_ACTION):
//! `u32 dwResetPeriod, u32 lpRebootMsg, u32 lpCommand, u32 cActions, u32 lpsaActions`, then
//! `cActions × { u32 Type, u32 Delay }`. The actions are read at the fixed offset 20: real hives
//! hold 0 or garbage in `lpsaActions` (DcomLaunch, RpcSs: 0; clr_optimization_*: 0x700F31F9),
//! see `docs/windows-facts.md`, "Service values".

/// The decoded value, with raw action types (0 none, 1 restart, 2 reboot, 3 run command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFailureActions {
    /// Seconds; 0xFFFFFFFF means INFINITE.
    pub reset_period_s: u32,
    /// `(type, delay_ms)` pairs.
    pub actions: Vec<(u32, u32)>,
}

/// Why a `FailureActions` value could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FailureActionsError {
    /// Shorter than the 20-byte header.
    #[error("FailureActions is {have} bytes, shorter than its 20-byte header")]
    TooShort {
        /// Bytes present.
        have: usize,
    },
    /// The action count claims more actions than the value holds.
    #[error("FailureActions claims {claimed} actions but holds room for {room}")]
    Truncated {
        /// `cActions`.
        claimed: u32,
        /// Actions that fit.
        room: usize,
    },
}

/// Decodes a `FailureActions` value.
pub fn parse_failure_actions(bytes: &[u8]) -> Result<RawFailureActions, FailureActionsError> {
    const HEADER: usize = 20;
    if bytes.len() < HEADER {
        return Err(FailureActionsError::TooShort { have: bytes.len() });
    }
    let u32_at = |offset: usize| {
        let mut raw = [0u8; 4];
        raw.copy_from_slice(&bytes[offset..offset + 4]);
        u32::from_le_bytes(raw)
    };
    let claimed = u32_at(12);
    let room = (bytes.len() - HEADER) / 8;
    if claimed as usize > room {
        return Err(FailureActionsError::Truncated { claimed, room });
    }
    let actions = (0..claimed as usize)
        .map(|i| {
            let at = HEADER + i * 8;
            (u32_at(at), u32_at(at + 4))
        })
        .collect();
    Ok(RawFailureActions {
        reset_period_s: u32_at(0),
        actions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(reset: u32, array_offset: u32, actions: &[(u32, u32)]) -> Vec<u8> {
        let mut v = Vec::new();
        for n in [reset, 0, 0, actions.len() as u32, array_offset] {
            v.extend_from_slice(&n.to_le_bytes());
        }
        for (t, d) in actions {
            v.extend_from_slice(&t.to_le_bytes());
            v.extend_from_slice(&d.to_le_bytes());
        }
        v
    }

    #[test]
    fn reads_actions_at_fixed_offset_whatever_the_array_pointer_says() {
        for garbage in [0x14, 0, 0x700F_31F9] {
            let parsed =
                parse_failure_actions(&value(86400, garbage, &[(1, 60000), (0, 0)])).unwrap();
            assert_eq!(parsed.reset_period_s, 86400);
            assert_eq!(parsed.actions, vec![(1, 60000), (0, 0)]);
        }
    }

    #[test]
    fn rejects_short_and_overclaiming_values() {
        assert_eq!(
            parse_failure_actions(&[0; 8]),
            Err(FailureActionsError::TooShort { have: 8 })
        );
        let mut v = value(0, 0x14, &[(1, 5)]);
        v[12] = 200;
        assert_eq!(
            parse_failure_actions(&v),
            Err(FailureActionsError::Truncated {
                claimed: 200,
                room: 1
            })
        );
    }
}
