/* SPDX-License-Identifier: GPL-2.0 */
/*
 * problem_atomic.h --- the entries of e2fsck's atomic pass
 * (pass_atomic.c) in problem_table[], included by problem.c just
 * before the table's end, in ascending order of their codes
 * (problem_atomic_codes.h).
 *
 * %N is the unit byte (s_log_atomic_unit) or a count, %s a unit or
 * the list of a window's problems, %b-%c the first and last window.
 */

	/* The superblock's atomic write unit is invalid */
	{ PR_A_UNIT_INVALID,
	  N_("The atomic write unit in the @S (s_log_atomic_unit %N) is "
	     "@n: %m.\nReset it to %s"),
	  PROMPT_NULL, 0, 0, 0, 0 },

	/* An atomic write unit is recorded without the feature */
	{ PR_A_UNIT_NO_FEATURE,
	  N_("@S has an atomic write unit (s_log_atomic_unit %N) but not "
	     "the atomic_write feature.  "),
	  PROMPT_CLEAR, PR_PREEN_OK, 0, 0, 0 },

	/* Flagged inodes, no feature, a valid unit: set the feature */
	{ PR_A_SET_FEATURE,
	  N_("%N @i(s) have the Atomic_Write flag set but @S is missing the "
	     "atomic_write feature.\nSet the feature, with the atomic write "
	     "unit already recorded (%s)"),
	  PROMPT_NULL, 0, 0, 0, 0 },

	/* Atomic_Write flag without the feature */
	{ PR_A_FLAG_NO_FEATURE,
	  N_("@i %i has the Atomic_Write flag set but @S is missing the "
	     "atomic_write feature.  "),
	  PROMPT_CLEAR_FLAG, 0, 0, 0, 0 },

	/* Atomic_Write flag on an inode of the wrong type */
	{ PR_A_FLAG_BAD_TYPE,
	  N_("@i %i (%It) has the Atomic_Write flag set, which only regular "
	     "files and directories may carry.  "),
	  PROMPT_CLEAR_FLAG, PR_PREEN_OK, 0, 0, 0 },

	/* Atomic_Write flag on a block-mapped file */
	{ PR_A_FLAG_NOT_EXTENTS,
	  N_("@i %i has the Atomic_Write flag set but does not use @xs.  "),
	  PROMPT_CLEAR_FLAG, PR_PREEN_OK, 0, 0, 0 },

	/* Atomic_Write flag on a file with inline data */
	{ PR_A_FLAG_INLINE,
	  N_("@i %i has the Atomic_Write flag set but keeps its data "
	     "inline.  "),
	  PROMPT_CLEAR_FLAG, PR_PREEN_OK, 0, 0, 0 },

	/* Atomic_Write flag on a file with data journalling */
	{ PR_A_FLAG_JOURNAL_DATA,
	  N_("@i %i has the Atomic_Write flag set but journals its data.  "),
	  PROMPT_CLEAR_FLAG, PR_PREEN_OK, 0, 0, 0 },

	/* Atomic write windows that break the alignment rule */
	{ PR_A_WINDOW_BROKEN,
	  N_("@i %i, atomic write window(s) %b-%c break the alignment rule "
	     "(%s).  "),
	  PROMPT_RELOCATE, PR_PREEN_OK, 0, 0, 0 },

	/* No free aligned run for broken windows */
	{ PR_A_NO_ALIGNED_SPACE,
	  N_("No free aligned run for atomic write window(s) %b-%c of @i "
	     "%i.\nClear its Atomic_Write flag (the data is kept)"),
	  PROMPT_NULL, 0, 0, 0, 0 },

	/* Pass A: Checking atomic write alignment */
	{ PR_A_PASS_HEADER,
	  N_("Pass A: Checking atomic write alignment\n"),
	  PROMPT_NONE, PR_HEADER, 0, 0, 0 },

	/* Error allocating the list of atomic inodes */
	{ PR_A_NOTE_ERROR,
	  N_("@A the list of atomic @is: %m\n"),
	  PROMPT_NONE, PR_FATAL, 0, 0, 0 },

	/* Error while checking or repairing an atomic inode */
	{ PR_A_INODE_ERROR,
	  N_("Error during the atomic write checks of @i %i: %m\n"),
	  PROMPT_NONE, PR_FATAL, 0, 0, 0 },

	/* Broken windows not moved: problems left unfixed before */
	{ PR_A_WINDOW_NOT_MOVED,
	  N_("@i %i, atomic write window(s) %b-%c break the alignment rule "
	     "(%s); not relocated while earlier problems are left unfixed "
	     "(the @b @B may be wrong).\n"),
	  PROMPT_NONE, 0, 0, 0, 0 },
