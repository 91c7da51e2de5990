build-stress/obj/src/core/boot_sep.o: src/core/boot_sep.c \
 include/macext/boot.h include/macext/core.h include/macext/err.h
include/macext/boot.h:
include/macext/core.h:
include/macext/err.h:
