build-stress/obj/src/tools/cmd_sysextctl.o: src/tools/cmd_sysextctl.c \
 src/tools/sysext_int.h include/macext/sysext.h include/macext/core.h \
 include/macext/err.h src/tools/tools.h include/macext/store.h
src/tools/sysext_int.h:
include/macext/sysext.h:
include/macext/core.h:
include/macext/err.h:
src/tools/tools.h:
include/macext/store.h:
