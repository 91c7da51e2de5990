build-stress/obj/src/tools/cmd_sysext.o: src/tools/cmd_sysext.c \
 include/macext/bundle.h include/macext/err.h include/macext/codesign.h \
 src/tools/sysext_int.h include/macext/sysext.h include/macext/core.h \
 src/tools/tools.h include/macext/store.h
include/macext/bundle.h:
include/macext/err.h:
include/macext/codesign.h:
src/tools/sysext_int.h:
include/macext/sysext.h:
include/macext/core.h:
src/tools/tools.h:
include/macext/store.h:
