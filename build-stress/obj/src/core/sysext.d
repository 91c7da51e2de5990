build-stress/obj/src/core/sysext.o: src/core/sysext.c \
 include/macext/sysext.h include/macext/core.h include/macext/err.h
include/macext/sysext.h:
include/macext/core.h:
include/macext/err.h:
