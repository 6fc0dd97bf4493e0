# SSHM_CC_TRY_FLAGS(VAR, FLAGS): append to VAR each flag of FLAGS the C
# compiler accepts (warnings are made errors while testing, so a flag that
# only warns "unknown option" is left out).
AC_DEFUN([SSHM_CC_TRY_FLAGS], [
	for sshm_flag in m4_normalize([$2]); do
		AC_MSG_CHECKING([whether $CC accepts $sshm_flag])
		sshm_save_CFLAGS=$CFLAGS
		CFLAGS="$CFLAGS -Werror $sshm_flag"
		AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
			[$1="$$1 $sshm_flag"; AC_MSG_RESULT([yes])],
			[AC_MSG_RESULT([no])])
		CFLAGS=$sshm_save_CFLAGS
	done
])

# SSHM_LD_TRY_FLAGS(VAR, FLAGS): the same for linker flags.
AC_DEFUN([SSHM_LD_TRY_FLAGS], [
	for sshm_flag in m4_normalize([$2]); do
		AC_MSG_CHECKING([whether the linker accepts $sshm_flag])
		sshm_save_LDFLAGS=$LDFLAGS
		LDFLAGS="$LDFLAGS $sshm_flag"
		AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
			[$1="$$1 $sshm_flag"; AC_MSG_RESULT([yes])],
			[AC_MSG_RESULT([no])])
		LDFLAGS=$sshm_save_LDFLAGS
	done
])
