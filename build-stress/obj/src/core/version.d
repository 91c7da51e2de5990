build-stress/obj/src/core/version.o: src/core/version.c \
 include/macext/core.h include/macext/err.h
include/macext/core.h:
include/macext/err.h:
